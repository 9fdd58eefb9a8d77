"""openai_compatible learns each model's context window from what the server says it serves.

Fakes of llama.cpp's documented endpoints (``GET /v1/models`` with ``meta.n_ctx``; ``GET /props`` with
``default_generation_settings.n_ctx``) and of vLLM's (``max_model_len``), over real HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mcp_llm.providers.base import ProviderConfig, ProviderProfile
from mcp_llm.providers.openai_wire import OpenAIChatProvider
from mcp_llm.providers.served_window import from_model_entry, from_props
from tests.fakes.server import FakeServer


def server_app(entry: dict[str, Any], props: dict[str, Any] | None) -> Starlette:
    async def models(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": "smollm2", "object": "model", **entry}]})

    async def props_route(request: Request) -> Response:
        if props is None:
            return JSONResponse({"error": {"message": "not found"}}, status_code=404)
        return JSONResponse(props)

    return Starlette(routes=[Route("/v1/models", models), Route("/props", props_route)])


@pytest.fixture
def serve() -> Iterator[Any]:
    started: list[FakeServer] = []

    def start(entry: dict[str, Any], props: dict[str, Any] | None, served: bool = True) -> OpenAIChatProvider:
        server = FakeServer(server_app(entry, props)).start()
        started.append(server)
        profile = ProviderProfile(served_windows=served)
        return OpenAIChatProvider(
            ProviderConfig(key="openai_compatible", base_url=f"{server.url}/v1", profile=profile)
        )

    yield start
    for server in started:
        server.stop()


LLAMA_META = {"meta": {"n_ctx": 2048, "n_ctx_train": 8192, "n_vocab": 49152}}


@pytest.mark.parametrize(
    ("entry", "props", "window"),
    [
        (LLAMA_META, None, 2048),  # llama.cpp: the slot's window, not the training window
        ({"max_model_len": 4096}, None, 4096),  # vLLM
        ({}, {"default_generation_settings": {"n_ctx": 3072}}, 3072),  # an older llama.cpp: /props only
        ({}, None, None),  # a server that says nothing: unknown, not guessed
        ({"meta": {"n_ctx_train": 8192}}, None, None),
    ],
)
async def test_the_window_comes_from_what_the_server_says(
    serve: Any, entry: dict[str, Any], props: dict[str, Any] | None, window: int | None
) -> None:
    provider = serve(entry, props)
    try:
        models = await provider.list_live_models()
    finally:
        await provider.aclose()
    assert models is not None and [(m.id, m.context_window) for m in models] == [("smollm2", window)]


async def test_a_hosted_vendor_is_not_asked(serve: Any) -> None:
    provider = serve(LLAMA_META, {"default_generation_settings": {"n_ctx": 3072}}, served=False)
    try:
        models = await provider.list_live_models()
    finally:
        await provider.aclose()
    assert models is not None and models[0].context_window is None


def test_nonsense_is_not_a_window() -> None:
    assert from_model_entry({"meta": {"n_ctx": "2048"}, "context_length": -1}) is None
    assert from_model_entry({"max_model_len": True}) is None
    assert from_props(["n_ctx", 2048]) is None
    assert from_props({"n_ctx": 10**12}) is None
