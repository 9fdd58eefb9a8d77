"""A fake of the OpenAI chat-completions API, with payloads shaped like OpenAI's documented wire format.

Shapes follow the API reference (``POST /v1/chat/completions``, ``GET /v1/models``): the
``chat.completion`` object, ``chat.completion.chunk`` SSE frames ending with ``data: [DONE]``, the
usage chunk sent when ``stream_options.include_usage`` is set, and ``{"error": {...}}`` bodies.
"""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Route

from tests.fakes.server import Reply, Script, record, render, scripted_route

CHAT = "chat"
MODELS = "models"


def completion_body(
    content: str,
    model: str = "gpt-5-mini",
    finish: str = "stop",
    prompt_tokens: int = 9,
    completion_tokens: int = 12,
    cached: int = 0,
    reasoning: int = 0,
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_44709d6fcb",
        "service_tier": "default",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None, "annotations": []},
                "logprobs": None,
                "finish_reason": finish,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": reasoning,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
    }


def _chunk(
    model: str, delta: dict[str, Any], finish: str | None = None, usage: Any = None, choices: bool = True
) -> str:
    frame = {
        "id": "chatcmpl-123",
        "object": "chat.completion.chunk",
        "created": 1694268190,
        "model": model,
        "system_fingerprint": "fp_44709d6fcb",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
        if choices
        else [],
        "usage": usage,
    }
    return f"data: {json.dumps(frame)}\n\n"


def stream_frames(
    pieces: list[str],
    model: str = "gpt-5-mini",
    finish: str = "stop",
    prompt_tokens: int = 9,
    with_usage: bool = True,
) -> list[str]:
    """OpenAI's SSE frames: a role frame, content deltas, the finish frame, the usage frame, [DONE]."""
    frames = [_chunk(model, {"role": "assistant", "content": "", "refusal": None})]
    frames += [_chunk(model, {"content": piece}) for piece in pieces]
    frames.append(_chunk(model, {}, finish=finish))
    if with_usage:
        completion = sum(len(p.split()) for p in pieces)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": prompt_tokens + completion,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }
        frames.append(_chunk(model, {}, usage=usage, choices=False))
    frames.append("data: [DONE]\n\n")
    return frames


def error_body(message: str, type_: str, code: str | None, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def unauthorized() -> Reply:
    return Reply(
        401,
        error_body(
            "Incorrect API key provided: sk-test-************************cdef. "
            "You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            "invalid_request_error",
            "invalid_api_key",
        ),
    )


def model_not_found(model: str) -> Reply:
    return Reply(
        404,
        error_body(
            f"The model `{model}` does not exist or you do not have access to it.",
            "invalid_request_error",
            "model_not_found",
        ),
    )


def rate_limited(retry_after: str = "1") -> Reply:
    return Reply(
        429,
        error_body(
            "Rate limit reached for gpt-5-mini in organization org-abc on requests per min (RPM): "
            "Limit 3, Used 3, Requested 1. Please try again in 1s.",
            "requests",
            "rate_limit_exceeded",
        ),
        headers={
            "retry-after": retry_after,
            "x-ratelimit-limit-requests": "3",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": "1s",
        },
    )


def server_error() -> Reply:
    return Reply(
        500,
        error_body(
            "The server had an error while processing your request. Sorry about that!", "server_error", None
        ),
    )


def context_length_exceeded() -> Reply:
    return Reply(
        400,
        error_body(
            "This model's maximum context length is 128000 tokens. However, your messages resulted in 130412 "
            "tokens. Please reduce the length of the messages.",
            "invalid_request_error",
            "context_length_exceeded",
            "messages",
        ),
    )


KNOWN_MODELS = ("gpt-5-mini", "gpt-4.1", "gpt-3.5-turbo", "ft:gpt-4o:acme")


def _default_chat(body: Any, models: tuple[str, ...] = KNOWN_MODELS) -> Reply:
    model = (body or {}).get("model", "gpt-5-mini")
    if model not in models:
        return model_not_found(model)
    text = "Hello from the fake OpenAI API."
    if (body or {}).get("stream"):
        return Reply(stream=stream_frames(["Hello", " from the", " fake OpenAI API."], model=model))
    return Reply(json=completion_body(text, model=model))


def openai_app(script: Script, models: tuple[str, ...] = KNOWN_MODELS) -> Starlette:
    async def list_models(request: Any) -> Any:
        await record(script, request)
        reply = script.next(MODELS) or Reply(
            json={
                "object": "list",
                "data": [
                    {"id": m, "object": "model", "created": 1686935002, "owned_by": "openai"} for m in models
                ],
            }
        )
        return await render(reply)

    from tests.fakes.batches import OPENAI_BATCHES  # the batch fake builds on this module's bodies

    return Starlette(
        routes=[
            scripted_route("/v1/chat/completions", CHAT, script, lambda body: _default_chat(body, models)),
            Route("/v1/models", list_models, methods=["GET"]),
            *OPENAI_BATCHES.routes(),
        ]
    )
