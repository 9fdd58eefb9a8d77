"""A fast fake OpenAI-compatible upstream: fixed answers from a bare asyncio HTTP/1.1 server.

Fast on purpose, so that the baseline (calling it directly) is small and what the gateway adds stands
out; ``--latency-ms`` makes each answer take that long, like a (fast) real model. Answers
``POST /v1/chat/completions`` (JSON, or SSE when the body asks to stream) and ``GET /v1/models``;
keeps connections alive.
"""

from __future__ import annotations

import argparse
import asyncio
import json

COMPLETION = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "bench-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "A short benchmark answer."},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
    }
).encode()
MODELS = json.dumps(
    {"object": "list", "data": [{"id": "bench-model", "object": "model", "created": 0, "owned_by": "bench"}]}
).encode()


def _chunk(delta: dict, finish: str | None = None, usage: dict | None = None) -> bytes:
    frame = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "bench-model",
        "choices": [] if usage else [{"index": 0, "delta": delta, "finish_reason": finish}],
        "usage": usage,
    }
    return b"data: " + json.dumps(frame).encode() + b"\n\n"


STREAM = b"".join(
    [
        _chunk({"role": "assistant", "content": ""}),
        _chunk({"content": "A short"}),
        _chunk({"content": " answer."}),
        _chunk({}, "stop"),
        _chunk({}, usage={"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}),
        b"data: [DONE]\n\n",
    ]
)


def _response(body: bytes, content_type: bytes) -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\ncontent-type: "
        + content_type
        + b"\r\ncontent-length: "
        + str(len(body)).encode()
        + b"\r\nconnection: keep-alive\r\n\r\n"
        + body
    )


JSON_REPLY = _response(COMPLETION, b"application/json")
STREAM_REPLY = _response(STREAM, b"text/event-stream")
MODELS_REPLY = _response(MODELS, b"application/json")


LATENCY = 0.0


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length) if length else b""
            if LATENCY:
                await asyncio.sleep(LATENCY)
            if head.startswith(b"GET"):
                writer.write(MODELS_REPLY)
            else:
                writer.write(STREAM_REPLY if b'"stream":true' in body.replace(b" ", b"") else JSON_REPLY)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def serve(port: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before each answer")
    args = parser.parse_args()
    global LATENCY
    LATENCY = args.latency_ms / 1000
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(serve(args.port))


if __name__ == "__main__":
    main()
