"""Use mcp-llm as an OpenAI endpoint with the official openai SDK, unchanged.

    uv run python examples/openai_sdk.py              # against http://localhost:5001/v1
    MCP_LLM_HTTP=http://host:5001 uv run python examples/openai_sdk.py

Models are addressed as provider/model; gateway options (fallbacks, cache) go in extra_body.
"""

from __future__ import annotations

import os

from openai import OpenAI

BASE = os.environ.get("MCP_LLM_HTTP", "http://localhost:5001")
client = OpenAI(base_url=f"{BASE}/v1", api_key=os.environ.get("MCP_LLM_KEY", "unused-when-auth-is-off"))

models = [m.id for m in client.models.list()]
print("models:", ", ".join(models[:5]), "..." if len(models) > 5 else "")

reply = client.chat.completions.create(
    model="mock/mock-1",
    messages=[{"role": "user", "content": "Give me a haiku about caching."}],
    extra_body={"fallbacks": [{"provider": "mock", "model": "mock-echo"}]},
)
print("reply:", reply.choices[0].message.content)

print("stream: ", end="")
for chunk in client.chat.completions.create(
    model="mock/mock-1", messages=[{"role": "user", "content": "Count to three."}], stream=True
):
    for choice in chunk.choices:
        print(choice.delta.content or "", end="", flush=True)
print()
