"""The in-process conversation store: bounds per organization, and a total bound taken from the largest."""

from __future__ import annotations

from mcp_llm.gateway.conversations import Exchange, MemoryConversations
from mcp_shared.models import ChatMessage, Usage


def exchange(organization: str, text: str) -> Exchange:
    return Exchange(
        request_id=f"req_{text}",
        at=0.0,
        organization_id=organization,
        provider="mock",
        model="mock-1",
        messages=[ChatMessage(role="user", content=text)],
        content="ok",
        finish_reason="stop",
        usage=Usage(),
        cost_usd=0.0,
        cached=False,
    )


async def kept(store: MemoryConversations, organization: str, ids: list[str]) -> list[str]:
    return [i for i in ids if await store.read(organization, i)]


async def test_the_total_bound_takes_from_the_organization_holding_the_most() -> None:
    store = MemoryConversations(ttl=3600, max_exchanges=2, max_per_organization=4, max_total=6)
    await store.append("small", "s0", exchange("small", "s0"))
    await store.append("small", "s1", exchange("small", "s1"))
    ids = [f"b{n}" for n in range(6)]
    for i in ids:
        await store.append("big", i, exchange("big", i))
    # big is capped at 4 by its own bound; the total (6) is then reached without touching small.
    assert await kept(store, "small", ["s0", "s1"]) == ["s0", "s1"]
    assert await kept(store, "big", ids) == ["b2", "b3", "b4", "b5"]
    await store.append("third", "t0", exchange("third", "t0"))  # 7 > 6: the largest (big) gives one up
    assert await kept(store, "big", ids) == ["b3", "b4", "b5"]
    assert await kept(store, "small", ["s0", "s1"]) == ["s0", "s1"]


async def test_a_conversation_keeps_its_last_exchanges_and_ids_are_per_organization() -> None:
    store = MemoryConversations(ttl=3600, max_exchanges=2, max_per_organization=10)
    for text in ("one", "two", "three"):
        await store.append("acme", "c", exchange("acme", text))
    await store.append("globex", "c", exchange("globex", "theirs"))
    assert [e.messages[0].content for e in await store.read("acme", "c")] == ["two", "three"]
    assert [e.messages[0].content for e in await store.read("globex", "c")] == ["theirs"]
    assert await store.read("initech", "c") == []
