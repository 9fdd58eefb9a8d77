"""The OpenAI-wire hand-off honours HTTP(S)_PROXY and NO_PROXY, read once when its session is made.

A real forward proxy (a bare asyncio server) stands between the adapter and an upstream host that does
not resolve: the call can only succeed through the proxy, which must receive the absolute-form request
line and the proxy credentials named in the environment's proxy URL.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from pydantic import SecretStr

from mcp_llm.providers.base import ProviderConfig, ProviderRequest
from mcp_llm.providers.openai_http import env_proxy
from mcp_llm.providers.openai_wire import OpenAIChatProvider
from mcp_shared.errors import LLMProviderError
from mcp_shared.models import ChatMessage, GenerationParams
from tests.conftest import TEST_OPENAI_KEY
from tests.fakes import openai_api as wire

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY")
UNRESOLVABLE = "http://upstream.invalid/v1"
REQUEST = ProviderRequest("gpt-5-mini", (ChatMessage(role="user", content="Hi"),), GenerationParams())


@dataclass
class ForwardProxy:
    """Answers every request with a chat completion and keeps what it was sent."""

    port: int = 0
    seen: list[dict[str, str]] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in head[1:] if line)
        lowered = {k.lower(): v for k, v in headers.items()}
        self.seen.append({"request_line": head[0], **lowered})
        if head[0].startswith("CONNECT "):  # no tunnel is opened: only what the proxy was told matters
            writer.write(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            await writer.drain()
            writer.close()
            return
        await reader.readexactly(int(lowered.get("content-length", "0")))
        body = json.dumps(wire.completion_body("through the proxy")).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            + f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()


@pytest.fixture
def clean_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
async def proxy() -> AsyncIterator[ForwardProxy]:
    forward = ForwardProxy()
    server = await asyncio.start_server(forward.handle, "127.0.0.1", 0)
    forward.port = server.sockets[0].getsockname()[1]
    async with server:
        yield forward


def adapter(base_url: str) -> OpenAIChatProvider:
    return OpenAIChatProvider(
        ProviderConfig(key="openai", api_key=SecretStr(TEST_OPENAI_KEY), base_url=base_url, timeout=5.0)
    )


@pytest.mark.usefixtures("clean_proxy_env")
async def test_a_call_goes_through_the_environments_proxy_with_its_credentials(
    proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://bench%40ops:s3cr%2Ft@127.0.0.1:{proxy.port}")
    provider = adapter(UNRESOLVABLE)
    try:
        answer = await provider.complete(REQUEST)
    finally:
        await provider.aclose()
    assert answer.content == "through the proxy"
    [seen] = proxy.seen
    assert seen["request_line"] == "POST http://upstream.invalid/v1/chat/completions HTTP/1.1"
    assert seen["proxy-authorization"] == "Basic " + base64.b64encode(b"bench@ops:s3cr/t").decode()
    assert seen["authorization"] == f"Bearer {TEST_OPENAI_KEY}"


@pytest.mark.parametrize("credentials", ["ops:pw@", ""], ids=["with-credentials", "without"])
@pytest.mark.usefixtures("clean_proxy_env")
async def test_a_tunnel_through_the_proxy_carries_its_credentials_and_never_the_vendor_key(
    proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch, credentials: str
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", f"http://{credentials}127.0.0.1:{proxy.port}")
    provider = adapter("https://api.openai.invalid/v1")
    try:
        with pytest.raises(LLMProviderError):  # the proxy refuses the tunnel
            await provider.complete(REQUEST)
    finally:
        await provider.aclose()
    [seen] = proxy.seen
    assert seen["request_line"] == "CONNECT api.openai.invalid:443 HTTP/1.1"
    if credentials:
        assert seen["proxy-authorization"] == "Basic " + base64.b64encode(b"ops:pw").decode()
    else:
        assert "proxy-authorization" not in seen
    assert TEST_OPENAI_KEY not in json.dumps(seen)


@pytest.mark.usefixtures("clean_proxy_env")
def test_no_proxy_exempts_a_host_and_no_variable_means_no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    assert env_proxy(UNRESOLVABLE) == (None, None)
    monkeypatch.setenv("HTTPS_PROXY", "proxy.internal:3128")
    assert env_proxy("https://api.openai.com/v1") == ("http://proxy.internal:3128", None)
    assert env_proxy(UNRESOLVABLE) == (None, None)  # an http:// URL takes HTTP_PROXY only
    monkeypatch.setenv("NO_PROXY", "api.openai.com")
    assert env_proxy("https://api.openai.com/v1") == (None, None)
