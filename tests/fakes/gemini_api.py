"""A fake of the Gemini Developer API, with payloads shaped like Google's documented wire format.

Shapes follow the REST reference (``v1``, which google-genai 3 speaks, and ``v1beta``, served alike):
``models/{model}:generateContent`` answers a
``GenerateContentResponse`` (``candidates[].content.parts[].text``, ``finishReason``,
``usageMetadata``, ``modelVersion``, ``responseId``); ``:streamGenerateContent?alt=sse`` answers SSE
``data:`` frames of the same object with no terminating sentinel, the last one carrying the finish
reason and the full usage; ``:countTokens`` answers ``{"totalTokens"}``; ``GET models`` a page of
``Model`` objects. Errors are Google API errors: ``{"error": {"code", "message", "status", "details"}}``.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.server import Reply, Script, record, render

GENERATE = "generateContent"
STREAM = "streamGenerateContent"
COUNT = "countTokens"
MODELS = "models"

QUOTA_METRIC = "generativelanguage.googleapis.com/generate_content_free_tier_requests"
KNOWN_MODELS = ("gemini-2.5-flash", "gemini-3.8-flash", "gemini-3.1-pro-preview")


def usage_metadata(
    prompt: int = 9, candidates: int = 7, thoughts: int = 0, cached: int = 0
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": candidates,
        "totalTokenCount": prompt + candidates + thoughts,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}],
    }
    if thoughts:
        meta["thoughtsTokenCount"] = thoughts
    if cached:
        meta["cachedContentTokenCount"] = cached
        meta["cacheTokensDetails"] = [{"modality": "TEXT", "tokenCount": cached}]
    return meta


def response_body(
    text: str, model: str = "gemini-2.5-flash", finish: str | None = "STOP", **usage: int
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}
    if finish is not None:
        candidate["finishReason"] = finish
    return {
        "candidates": [candidate],
        "usageMetadata": usage_metadata(**usage),
        "modelVersion": model,
        "responseId": "Il0taoSYJ5Cez7IPqMvc8Qk",
    }


def blocked_prompt() -> dict[str, Any]:
    """A prompt refused before any candidate: ``promptFeedback.blockReason`` and no candidates."""
    return {
        "promptFeedback": {
            "blockReason": "SAFETY",
            "safetyRatings": [
                {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}
            ],
        },
        "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8},
        "modelVersion": "gemini-2.5-flash",
        "responseId": "b1ocked",
    }


def safety_stop() -> dict[str, Any]:
    """An answer stopped by the safety filter: finishReason SAFETY, no text."""
    return {
        "candidates": [
            {
                "content": {"role": "model"},
                "finishReason": "SAFETY",
                "index": 0,
                "safetyRatings": [
                    {"category": "HARM_CATEGORY_HARASSMENT", "probability": "HIGH", "blocked": True}
                ],
            }
        ],
        "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8},
        "modelVersion": "gemini-2.5-flash",
    }


def _frame(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload)}\r\n\r\n"


def stream_frames(
    pieces: list[str],
    model: str = "gemini-2.5-flash",
    finish: str = "STOP",
    prompt: int = 9,
    thoughts: int = 0,
    cached: int = 0,
) -> list[str]:
    """SSE frames: one per text piece, the last with ``finishReason`` and the final usage (every frame
    carries the prompt's counts, implicit-cache hits included, as Gemini sends them)."""
    frames = []
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        so_far = sum(len(p.split()) for p in pieces[: index + 1])
        body = response_body(
            piece,
            model=model,
            finish=finish if last else None,
            prompt=prompt,
            candidates=so_far,
            thoughts=thoughts,
            cached=cached,
        )
        frames.append(_frame(body))
    return frames


def google_error(
    code: int, status: str, message: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details is not None:
        error["details"] = details
    return {"error": error}


def invalid_api_key() -> Reply:
    """What Gemini really answers for a wrong key: 400 INVALID_ARGUMENT with reason API_KEY_INVALID."""
    return Reply(
        400,
        google_error(
            400,
            "INVALID_ARGUMENT",
            "API key not valid. Please pass a valid API key.",
            [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "generativelanguage.googleapis.com"},
                },
                {
                    "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                    "locale": "en-US",
                    "message": "API key not valid. Please pass a valid API key.",
                },
            ],
        ),
    )


def unauthenticated() -> Reply:
    return Reply(
        401,
        google_error(
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
            "other valid authentication credential.",
        ),
    )


def model_not_found(model: str) -> Reply:
    return Reply(
        404,
        google_error(
            404,
            "NOT_FOUND",
            f"models/{model} is not found for API version v1, or is not supported for generateContent. "
            "Call ListModels to see the list of available models and their supported methods.",
        ),
    )


def rate_limited(retry_delay: str = "1s") -> Reply:
    return Reply(
        429,
        google_error(
            429,
            "RESOURCE_EXHAUSTED",
            "You exceeded your current quota, please check your plan and billing details. For more "
            "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.",
            [
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [
                        {
                            "quotaMetric": QUOTA_METRIC,
                            "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                            "quotaDimensions": {"location": "global", "model": "gemini-2.5-flash"},
                            "quotaValue": "10",
                        }
                    ],
                },
                {
                    "@type": "type.googleapis.com/google.rpc.Help",
                    "links": [
                        {
                            "description": "Learn more about Gemini API quotas",
                            "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                        }
                    ],
                },
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay},
            ],
        ),
    )


def server_error() -> Reply:
    return Reply(
        500,
        google_error(
            500,
            "INTERNAL",
            "An internal error has occurred. Please retry or report in "
            "https://developers.generativeai.google/guide/troubleshooting",
        ),
    )


def context_length_exceeded() -> Reply:
    return Reply(
        400,
        google_error(
            400,
            "INVALID_ARGUMENT",
            "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
        ),
    )


def models_page(models: tuple[str, ...] = KNOWN_MODELS) -> dict[str, Any]:
    listed = [
        {
            "name": f"models/{m}",
            "version": "001",
            "displayName": m,
            "description": "A fake Gemini model.",
            "inputTokenLimit": 1048576,
            "outputTokenLimit": 65536,
            "supportedGenerationMethods": ["generateContent", "countTokens", "createCachedContent"],
            "temperature": 1,
            "topP": 0.95,
            "topK": 64,
            "maxTemperature": 2,
            "thinking": True,
        }
        for m in models
    ]
    listed.append(
        {
            "name": "models/gemini-embedding-001",
            "version": "001",
            "displayName": "Gemini Embedding 001",
            "inputTokenLimit": 2048,
            "outputTokenLimit": 1,
            "supportedGenerationMethods": ["embedContent", "countTextTokens", "countTokens"],
        }
    )
    return {"models": listed}


def _default(action: str, model: str, body: Any) -> Reply:
    if action == COUNT:
        contents = (body or {}).get("contents", [])
        words = sum(len(str(p.get("text", "")).split()) for c in contents for p in c.get("parts", []))
        return Reply(
            json={
                "totalTokens": words + 2,
                "promptTokensDetails": [{"modality": "TEXT", "tokenCount": words + 2}],
            }
        )
    if model not in KNOWN_MODELS:
        return model_not_found(model)
    if action == STREAM:
        return Reply(stream=stream_frames(["Hello", " from the", " fake Gemini."], model=model))
    return Reply(json=response_body("Hello from the fake Gemini.", model=model))


def gemini_app(script: Script) -> Starlette:
    from tests.fakes.batches import GEMINI_BATCHES  # the batch fake builds on this module's bodies

    async def model_action(request: Request) -> Response:
        body = await record(script, request)
        model, _, action = request.path_params["target"].rpartition(":")
        if action == "batchGenerateContent":
            return GEMINI_BATCHES.create_batch(model, body or {}, request.url.path.split("/")[1])
        reply = script.next(action) or _default(action, model, body)
        return await render(reply)

    async def list_models(request: Request) -> Response:
        await record(script, request)
        return await render(script.next(MODELS) or Reply(json=models_page()))

    return Starlette(
        routes=[
            route
            for version in ("v1", "v1beta")
            for route in (
                Route(f"/{version}/models/{{target}}", model_action, methods=["POST"]),
                Route(f"/{version}/models", list_models, methods=["GET"]),
                *GEMINI_BATCHES.routes(version),
            )
        ]
    )
