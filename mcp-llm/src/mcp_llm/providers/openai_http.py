"""The HTTP leg of the OpenAI-wire hand-off: one pooled aiohttp session per provider, SDK exceptions out.

The openai SDK sends on httpx (here httpx2 over httpcore and anyio), whose per-request machinery
(request and response models, header normalisation, anyio streams and locks) was the largest share of
the gateway's CPU per call; aiohttp's C-accelerated client does the same POST for about a fifth of it.
Only the transport changes. Every failure still becomes the exception the SDK itself raises for it, so
``openai_errors`` maps it exactly as before: a non-2xx answer is rebuilt as the SDK's own
``httpx2.Response`` and handed to the SDK's ``_make_status_error_from_response`` (status, headers,
body and so ``Retry-After`` and error codes all as the vendor sent them); a timeout is its
``APITimeoutError``; a refused, reset or cut connection its ``APIConnectionError``. The timeout per
phase mirrors the SDK's: connecting and each read wait at most ``timeout`` seconds, with no bound on a
whole stream. The proxy (``HTTP(S)_PROXY``, ``NO_PROXY``) is read from the environment once, when the
session is made, as the SDK's client reads it once when it is built: aiohttp's ``trust_env`` would read
the environment and ``~/.netrc`` again on every request, each in a worker thread.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import unquote, urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp
import httpx2
import openai

TRANSPORT_ERRORS = (aiohttp.ClientError, TimeoutError)
_FRAMING = {b"content-encoding", b"content-length", b"transfer-encoding"}


def sdk_transport_error(exc: BaseException, request: httpx2.Request) -> openai.APIConnectionError:
    """The SDK's exception for a failure below HTTP: a timeout, or any other transport failure."""
    if isinstance(exc, TimeoutError):  # aiohttp's timeouts are TimeoutErrors (some also ClientErrors)
        return openai.APITimeoutError(request=request)
    return openai.APIConnectionError(request=request)


def env_proxy(url: str) -> tuple[str | None, dict[str, str] | None]:
    """The proxy the environment names for ``url`` and the headers carrying its credentials, or none
    if NO_PROXY exempts the host."""
    target = urlsplit(url)
    if not target.hostname or proxy_bypass(target.hostname):
        return None, None
    proxy = getproxies().get(target.scheme)
    if not proxy:
        return None, None
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    netloc = parts.netloc.rpartition("@")[2]
    # aiohttp moves an Authorization proxy header to Proxy-Authorization (on the request for an
    # http:// proxy, on the CONNECT for https://); a Proxy-Authorization reaches only the CONNECT.
    credentials = (
        {"Authorization": aiohttp.encode_basic_auth(unquote(parts.username), unquote(parts.password or ""))}
        if parts.username is not None
        else None
    )
    return parts._replace(netloc=netloc).geturl(), credentials


class WireSession:
    """POSTs JSON to one OpenAI-wire endpoint on a kept-alive connection pool, created on first use
    (inside the event loop that will use it)."""

    def __init__(self, url: str, headers: dict[str, str], timeout: float, max_connections: int) -> None:
        self.url = url
        self._headers = headers
        self._timeout = aiohttp.ClientTimeout(total=None, connect=timeout, sock_read=timeout)
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        self._proxy, self._proxy_headers = env_proxy(url)

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                # The trust store the SDK's client uses (certifi, or SSL_CERT_FILE/SSL_CERT_DIR).
                ssl=httpx2.create_ssl_context(),
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
            )
        return self._session

    def sdk_request(self, body: bytes = b"") -> httpx2.Request:
        """The request as the SDK's exceptions carry it (built only when something failed)."""
        return httpx2.Request("POST", self.url, headers=self._headers, content=body)

    @asynccontextmanager
    async def post(self, body: bytes, client: openai.AsyncOpenAI) -> AsyncIterator[aiohttp.ClientResponse]:
        """The response to a POST of ``body``, 2xx only; the SDK's exception for anything else."""
        try:
            response = await self._open().post(
                self.url,
                data=body,
                # Per request, not as the session's defaults: aiohttp copies a session's default
                # headers into the proxy's, and would hand the vendor key to the proxy.
                headers=self._headers,
                proxy=self._proxy,
                proxy_headers=self._proxy_headers,
            )
        except TRANSPORT_ERRORS as exc:
            raise sdk_transport_error(exc, self.sdk_request(body)) from exc
        try:
            if response.status >= 400:
                try:
                    content = await response.read()
                except TRANSPORT_ERRORS as exc:
                    raise sdk_transport_error(exc, self.sdk_request(body)) from exc
                # aiohttp has already decoded the body: the framing headers would make httpx2 decode it again.
                headers = [
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in response.raw_headers
                    if k.lower() not in _FRAMING
                ]
                rebuilt = httpx2.Response(
                    response.status,
                    headers=headers,
                    content=content,
                    request=self.sdk_request(body),
                )
                raise client._make_status_error_from_response(rebuilt)
            yield response
        finally:
            response.release()

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
