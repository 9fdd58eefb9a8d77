"""mcp-debate against an mcp-llm that requires API keys: with LLM_SERVICE_API_KEY its turns are
billed to the key's organization; without it, turns fail with a clear authentication error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ServiceProcess, llm_process
from tests.debate.conftest import create, debate_args, debate_process, post
from tests.llm.governance.conftest import ApiKey, make_key, unique


@pytest.fixture
def governed_llm() -> Iterator[tuple[ServiceProcess, ApiKey]]:
    key = make_key(unique("debaters"))
    llm = llm_process(AUTH_ENABLED="true", API_KEYS=key.entry).start()
    yield llm, key
    llm.stop()


def test_turns_go_through_with_the_key_and_are_billed_to_its_organization(
    governed_llm, tmp_path: Path
) -> None:
    llm, key = governed_llm
    debate = debate_process(llm.url, tmp_path / "with-key.db", LLM_SERVICE_API_KEY=key.key).start()
    try:
        created = create(debate)
        turn = post(debate, "get_next_turn", {"debate_id": created["id"]})
        assert turn.status_code == 200, turn.text
        usage = httpx.get(
            f"{llm.url}/usage", params={"organization_id": key.organization}, headers=key.headers, timeout=10
        ).json()
        assert usage["totals"]["requests"] >= 1
        assert key.key not in debate.log_text()
    finally:
        debate.stop()


@pytest.mark.parametrize("key", [None, "mcpk_" + "not-a-real-key-0000"], ids=["no key", "wrong key"])
def test_without_a_valid_key_mcp_debate_says_which_setting_to_fix(
    governed_llm, tmp_path: Path, key: str | None
) -> None:
    llm, _ = governed_llm
    env = {"LLM_SERVICE_API_KEY": key} if key else {}
    debate = debate_process(llm.url, tmp_path / "refused.db", **env).start()
    try:
        refused = post(debate, "create_debate", debate_args())
        assert refused.status_code == 401, refused.text
        error = refused.json()["error"]
        assert error["type"] == "authentication"
        assert "LLM_SERVICE_API_KEY" in error["message"]
        assert httpx.get(f"{debate.url}/debates", timeout=10).json()["debates"] == []
    finally:
        debate.stop()
