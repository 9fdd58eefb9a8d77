"""Active probes: a provider that stops answering its (free) model list is reported down, then back up."""

from __future__ import annotations

from collections.abc import Callable

from mcp_llm.service import LLMService
from tests.conftest import TEST_OPENAI_KEY
from tests.fakes import openai_api as wire
from tests.fakes.server import FakeServer, Script


async def test_a_failing_probe_marks_the_provider_down_and_a_good_one_brings_it_back(
    make_service: Callable[..., LLMService], fake_openai: tuple[FakeServer, Script], openai_script: Script
) -> None:
    svc = await make_service(openai_api_key=TEST_OPENAI_KEY, openai_base_url=f"{fake_openai[0].url}/v1")
    monitor = svc.governance.monitor
    assert monitor.status("openai") == "unknown" and "openai" not in monitor.healthy

    openai_script.push(wire.MODELS, wire.server_error())
    failed = await monitor.probe("openai")
    assert not failed.ok and failed.error
    assert monitor.status("openai") == "down" and monitor.healthy["openai"] is False
    assert svc.metrics_registry.get_sample_value("llm_provider_up", {"provider": "openai"}) == 0.0
    listing = await svc.lister.listing("openai")
    assert all(m.healthy is False for m in listing.models)

    assert (await monitor.probe("openai")).ok  # the fake answers its default list again
    assert monitor.status("openai") == "ok" and monitor.healthy["openai"] is True
    report = await monitor.report("openai")
    assert report.providers[0].probe is not None and report.providers[0].probe.ok
    assert openai_script.last("/models").headers["authorization"].endswith(TEST_OPENAI_KEY)
