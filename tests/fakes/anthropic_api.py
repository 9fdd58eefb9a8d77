"""A fake of Anthropic's Messages API, with payloads shaped like Anthropic's documented wire format.

Shapes follow the API reference: ``POST /v1/messages`` answers a ``message`` object (content
blocks, ``stop_reason``, ``usage`` with cache fields); with ``"stream": true`` it answers SSE
events ``message_start``, ``content_block_start``, ``ping``, ``content_block_delta`` (``text_delta``),
``content_block_stop``, ``message_delta`` (stop reason and cumulative usage) and ``message_stop``.
Errors are ``{"type": "error", "error": {"type", "message"}, "request_id"}`` with a ``request-id``
header; ``POST /v1/messages/count_tokens`` answers ``{"input_tokens": N}``; ``GET /v1/models`` a page.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Route

from tests.fakes.anthropic_cache import PromptCacheBook
from tests.fakes.server import Reply, Script, record, render, scripted_route

MESSAGES = "messages"
COUNT = "count_tokens"
MODELS = "models"

KNOWN_MODELS = ("claude-sonnet-4-6", "claude-haiku-4-5", "claude-opus-4-8", "claude-sonnet-5-5")
REQUEST_ID = "req_011CSHoEeqs5C35K2UUqR7Fy"


def usage(
    input_tokens: int = 12, output_tokens: int = 6, cache_read: int = 0, cache_write: int = 0
) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": cache_write,
        "cache_read_input_tokens": cache_read,
        "cache_creation": {"ephemeral_5m_input_tokens": cache_write, "ephemeral_1h_input_tokens": 0},
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def message_body(
    text: str,
    model: str = "claude-sonnet-4-6",
    stop_reason: str | None = "end_turn",
    **usage_counts: int,
) -> dict[str, Any]:
    return {
        "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}] if text else [],
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage(**usage_counts),
    }


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


def stream_events(
    pieces: list[str],
    model: str = "claude-sonnet-4-6",
    stop_reason: str = "end_turn",
    input_tokens: int = 25,
    cache_read: int = 0,
    cache_write: int = 0,
) -> list[str]:
    """Every event of a streamed text answer, in the documented order."""
    start = message_body("", model=model, stop_reason=None, input_tokens=input_tokens, output_tokens=1)
    start["usage"]["cache_read_input_tokens"] = cache_read
    start["usage"]["cache_creation_input_tokens"] = cache_write
    events = [
        _event("message_start", {"type": "message_start", "message": start}),
        _event(
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
        _event("ping", {"type": "ping"}),
    ]
    events += [
        _event(
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}},
        )
        for piece in pieces
    ]
    output = sum(len(p.split()) for p in pieces)
    events += [
        _event("content_block_stop", {"type": "content_block_stop", "index": 0}),
        _event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": output},
            },
        ),
        _event("message_stop", {"type": "message_stop"}),
    ]
    return events


def error_body(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}, "request_id": REQUEST_ID}


def _error(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, error_body(kind, message), headers={"request-id": REQUEST_ID, **(headers or {})})


def unauthorized() -> Reply:
    return _error(401, "authentication_error", "invalid x-api-key")


def model_not_found(model: str) -> Reply:
    return _error(404, "not_found_error", f"model: {model}")


def rate_limited(retry_after: str = "1") -> Reply:
    return _error(
        429,
        "rate_limit_error",
        "This request would exceed the rate limit for your organization of 50 requests per minute.",
        headers={
            "retry-after": retry_after,
            "anthropic-ratelimit-requests-limit": "50",
            "anthropic-ratelimit-requests-remaining": "0",
            "anthropic-ratelimit-requests-reset": "2026-11-21T06:40:00Z",
        },
    )


def spend_limit_reached() -> Reply:
    reply = _error(429, "rate_limit_error", "You have reached your specified workspace API usage limits.")
    reply.json["error"]["details"] = {"error_code": "enforced_spend_limit_reached"}
    return reply


def server_error() -> Reply:
    return _error(500, "api_error", "Internal server error")


def overloaded() -> Reply:
    return _error(529, "overloaded_error", "Overloaded")


def context_length_exceeded() -> Reply:
    return _error(400, "invalid_request_error", "prompt is too long: 215000 tokens > 200000 maximum")


def overloaded_mid_stream(pieces: list[str]) -> Reply:
    """A stream that starts normally, then carries an ``error`` event instead of finishing."""
    events = stream_events(pieces)[: 3 + len(pieces)]
    events.append(
        _event("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    )
    return Reply(stream=events)


DEFAULT_ANSWER = "Hello from the fake Claude."


def _default_messages(body: Any, cache: PromptCacheBook | None = None, answer: str = DEFAULT_ANSWER) -> Reply:
    """The default answer; a request with ``cache_control`` markers is billed by the prompt cache."""
    model = (body or {}).get("model", "claude-sonnet-4-6")
    if model not in KNOWN_MODELS:
        return model_not_found(model)
    billed = cache.bill(body) if cache is not None and isinstance(body, dict) else None
    if (body or {}).get("stream"):
        if billed is not None:
            events = stream_events(
                ["Hello", " from the", " fake Claude."],
                model=model,
                input_tokens=billed["input_tokens"],
                cache_read=billed["cache_read"],
                cache_write=billed["cache_write"],
            )
            return Reply(stream=events)
        return Reply(stream=stream_events(["Hello", " from the", " fake Claude."], model=model))
    if billed is not None:
        billed["output_tokens"] = max(1, len(answer) // 4)
    return Reply(json=message_body(answer, model=model, **(billed or {})))


def _default_count(body: Any) -> Reply:
    messages = (body or {}).get("messages", [])
    words = sum(len(str(m.get("content", "")).split()) for m in messages)
    words += len(str((body or {}).get("system", "")).split())
    return Reply(json={"input_tokens": words + 3 * len(messages) + 1})


def models_page(models: tuple[str, ...] = KNOWN_MODELS) -> dict[str, Any]:
    data = [
        {
            "type": "model",
            "id": m,
            "display_name": m.replace("-", " ").title(),
            "created_at": "2026-02-17T00:00:00Z",
            "max_input_tokens": 1_000_000,
            "max_tokens": 128_000,
        }
        for m in models
    ]
    return {"data": data, "has_more": False, "first_id": models[0], "last_id": models[-1]}


def anthropic_app(
    script: Script, cache: PromptCacheBook | None = None, answer: str = DEFAULT_ANSWER
) -> Starlette:
    """The fake API; ``cache`` (a fresh one when not given) bills ``cache_control`` prefixes, and an
    unscripted call answers ``answer``."""
    book = cache if cache is not None else PromptCacheBook()

    async def list_models(request: Any) -> Any:
        await record(script, request)
        return await render(script.next(MODELS) or Reply(json=models_page()))

    from tests.fakes.batches import ANTHROPIC_BATCHES  # the batch fake builds on this module's bodies

    return Starlette(
        routes=[
            *ANTHROPIC_BATCHES.routes(),
            scripted_route(
                "/v1/messages", MESSAGES, script, lambda body: _default_messages(body, book, answer)
            ),
            scripted_route("/v1/messages/count_tokens", COUNT, script, _default_count),
            Route("/v1/models", list_models, methods=["GET"]),
        ]
    )
