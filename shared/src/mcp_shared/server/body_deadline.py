"""A deadline on reading a request body, against clients that send it byte by byte (slowloris).

uvicorn bounds the wait between requests (``timeout_keep_alive``) but not the time a request's body
may take to arrive, so a client trickling one byte a second holds a connection and a task forever.
This ASGI middleware gives the whole body ``BODY_READ_TIMEOUT`` seconds from the moment the request
reaches the app. When that runs out, the app is told the client is gone (``http.disconnect``, which
every handler already copes with), whatever it then tries to send is dropped, and the client gets a
``408`` with the structured error before the connection is closed. Waiting for a disconnect once the
body is complete (to cancel work whose caller left) is not bounded.
"""

from __future__ import annotations

import asyncio
import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mcp_shared.errors import InvalidRequestError

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_STATUS = 408


def timeout_error(seconds: float) -> InvalidRequestError:
    return InvalidRequestError(
        f"the request body did not arrive within {seconds:g} s (BODY_READ_TIMEOUT)",
        status=REQUEST_TIMEOUT_STATUS,
        details={"field": "body"},
    )


class BodyDeadline:
    """Pure ASGI middleware: every HTTP request body must be received within ``seconds``."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = asyncio.get_running_loop().time() + self.seconds
        body_read = False
        expired = False
        responded = False

        async def timed_receive() -> Message:
            nonlocal body_read, expired
            if body_read or expired:
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                expired = True
                return {"type": "http.disconnect"}
            body_read = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal responded
            if expired and not responded:
                return  # the 408 below answers instead
            responded = True
            await send(message)

        try:
            await self.app(scope, timed_receive, guarded_send)
        except Exception:
            if not expired:
                raise
        if expired and not responded:
            client = scope.get("client")
            logger.info(
                "request body timed out",
                extra={"path": scope.get("path"), "client": client[0] if client else None},
            )
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(timeout_error(self.seconds).to_payload()).encode()
        await send(
            {
                "type": "http.response.start",
                "status": REQUEST_TIMEOUT_STATUS,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
