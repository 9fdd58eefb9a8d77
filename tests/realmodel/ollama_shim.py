"""A test-only Ollama: Ollama's documented native API (docs/api.md) in front of llama.cpp's OpenAI API.

Ollama itself cannot be installed here, so this shim lets the ``llama`` adapter talk to a real
model through the real protocol: ``POST /api/chat`` (NDJSON stream or one object, ``options``,
``done_reason``, ``prompt_eval_count``/``eval_count``), ``GET /api/tags``, ``POST /api/show`` and
``{"error": ...}`` bodies, including Ollama's 404 for a model that is not pulled and its 400 for a
prompt over the window when ``"truncate": false``.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

TAG = ":latest"


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class OllamaShim:
    """Translates each Ollama call into one call to an OpenAI-compatible server."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self._models: dict[str, dict[str, Any]] | None = None

    async def models(self) -> dict[str, dict[str, Any]]:
        """The upstream's models by Ollama name (``name:latest``), with its metadata."""
        if self._models is None:
            async with httpx.AsyncClient(timeout=10) as client:
                listed = (await client.get(f"{self.upstream}/v1/models")).json()["data"]
            self._models = {f"{m['id']}{TAG}": m for m in listed}
        return self._models

    async def _resolve(self, name: str) -> str | None:
        full = name if ":" in name else f"{name}{TAG}"
        return full if full in await self.models() else None

    async def tags(self, request: Request) -> Response:
        listed = [
            {
                "name": name,
                "model": name,
                "modified_at": _now(),
                "size": int(meta.get("meta", {}).get("size", 0)),
                "digest": "0" * 64,
                "details": {
                    "format": "gguf",
                    "family": "llama",
                    "families": ["llama"],
                    "parameter_size": "135M",
                },
            }
            for name, meta in (await self.models()).items()
        ]
        return JSONResponse({"models": listed})

    async def show(self, request: Request) -> Response:
        body = await request.json()
        name = await self._resolve(str(body.get("model", "")))
        if name is None:
            return _error(404, f"model '{body.get('model')}' not found")
        meta = (await self.models())[name].get("meta", {})
        return JSONResponse(
            {
                "modelfile": f"FROM {name}\n",
                "details": {"format": "gguf", "family": "llama", "families": ["llama"]},
                "model_info": {
                    "general.architecture": "llama",
                    "general.parameter_count": meta.get("n_params"),
                    "llama.context_length": meta.get("n_ctx_train"),
                },
                "capabilities": ["completion"],
            }
        )

    async def chat(self, request: Request) -> Response:
        body = await request.json()
        requested = str(body.get("model", ""))
        name = await self._resolve(requested)
        if name is None:
            return _error(404, f'model "{requested}" not found, try pulling it first')
        options = body.get("options") or {}
        upstream_body: dict[str, Any] = {
            "model": name.removesuffix(TAG),
            "messages": body.get("messages", []),
        }
        for ours, theirs in (
            ("num_predict", "max_tokens"),
            ("temperature", "temperature"),
            ("top_p", "top_p"),
            ("stop", "stop"),
            ("seed", "seed"),
        ):
            if ours in options:
                upstream_body[theirs] = options[ours]
        if body.get("stream", True):
            return await self._stream(name, upstream_body)
        async with httpx.AsyncClient(timeout=60) as client:
            answer = await client.post(f"{self.upstream}/v1/chat/completions", json=upstream_body)
        if answer.status_code >= 400:
            return _error(answer.status_code, answer.text)
        data = answer.json()
        choice = data["choices"][0]
        return JSONResponse(
            {
                "model": name,
                "created_at": _now(),
                "message": {"role": "assistant", "content": choice["message"].get("content") or ""},
                **self._final(choice.get("finish_reason"), data.get("usage") or {}),
            }
        )

    @staticmethod
    def _final(finish: str | None, usage: dict[str, Any], started: float | None = None) -> dict[str, Any]:
        elapsed = int((time.monotonic() - started) * 1e9) if started else 0
        return {
            "done": True,
            "done_reason": "length" if finish == "length" else "stop",
            "total_duration": elapsed,
            "load_duration": 0,
            "prompt_eval_count": usage.get("prompt_tokens", 0),
            "prompt_eval_duration": 0,
            "eval_count": usage.get("completion_tokens", 0),
            "eval_duration": elapsed,
        }

    async def _stream(self, name: str, upstream_body: dict[str, Any]) -> Response:
        client = httpx.AsyncClient(timeout=60)
        request = client.build_request(
            "POST",
            f"{self.upstream}/v1/chat/completions",
            json={**upstream_body, "stream": True, "stream_options": {"include_usage": True}},
        )
        upstream = await client.send(request, stream=True)
        if upstream.status_code >= 400:
            text = (await upstream.aread()).decode()
            await upstream.aclose()
            await client.aclose()
            return _error(upstream.status_code, text)
        started = time.monotonic()

        async def lines() -> AsyncIterator[bytes]:
            finish: str | None = None
            usage: dict[str, Any] = {}
            try:
                async for line in upstream.aiter_lines():
                    if not line.startswith("data: ") or line == "data: [DONE]":
                        continue
                    chunk = json.loads(line[len("data: ") :])
                    usage = chunk.get("usage") or usage
                    for choice in chunk.get("choices") or []:
                        finish = choice.get("finish_reason") or finish
                        text = (choice.get("delta") or {}).get("content")
                        if text:
                            message = {"role": "assistant", "content": text}
                            event = {"model": name, "created_at": _now(), "message": message, "done": False}
                            yield (json.dumps(event) + "\n").encode()
                final = {"model": name, "created_at": _now(), "message": {"role": "assistant", "content": ""}}
                yield (json.dumps({**final, **self._final(finish, usage, started)}) + "\n").encode()
            finally:
                await upstream.aclose()
                await client.aclose()

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/tags", self.tags, methods=["GET"]),
                Route("/api/show", self.show, methods=["POST"]),
                Route("/api/chat", self.chat, methods=["POST"]),
            ]
        )
