"""Budget alerts: crossing 50/80/100 % of a quota logs, counts and sends one signed webhook per threshold and
window (a new window alerts again), retried when the receiver fails, never on the request path; with Redis,
two replicas send one alert."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mcp_llm.service import LLMService
from mcp_llm.settings.governance import QuotaLimits
from mcp_shared.errors import QuotaExceededError
from tests.conftest import RedisServer
from tests.fakes.server import FakeServer
from tests.llm.governance.conftest import ask, http_call, unique

SECRET = "fixture-webhook-secret-" + "2468"


class Receiver:
    """A webhook receiver on loopback that fails the first ``failures`` deliveries with a 500."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.received: list[tuple[dict[str, str], bytes]] = []

        async def hook(request: Request) -> Response:
            self.received.append((dict(request.headers), await request.body()))
            if self.failures > 0:
                self.failures -= 1
                return Response(status_code=500)
            return Response(status_code=204)

        self.server = FakeServer(Starlette(routes=[Route("/hook", hook, methods=["POST"])]))

    @property
    def url(self) -> str:
        return f"{self.server.url}/hook"

    def alerts(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver(failures=1)
    hook.server.start()
    yield hook
    hook.server.stop()


async def calls(svc: LLMService, org: str, count: int) -> None:
    for n in range(count):
        with contextlib.suppress(QuotaExceededError):  # past the quota calls are refused
            await svc.gateway.complete(ask(f"question {n}", cache=False), http_call(org))


async def test_each_threshold_alerts_once_signed_and_retried(
    make_service: Callable[..., Any], receiver: Receiver
) -> None:
    org = unique("alerts")
    svc: LLMService = await make_service(
        quotas={org: QuotaLimits(requests_per_day=4)},
        alert_webhook_url=receiver.url,
        alert_webhook_secret=SecretStr(SECRET),
    )
    svc.alerts.first_wait = 0.01  # the receiver's first failure is retried at once
    await calls(svc, org, 6)  # the 5th and 6th are refused; use stays at 100 %
    await svc.alerts.idle()
    delivered = receiver.alerts()
    thresholds = sorted({a["threshold_percent"] for a in delivered})
    assert thresholds == [50, 80, 100]
    assert len(delivered) == 4  # three alerts, the first delivered on its second attempt
    assert delivered.count(delivered[0]) == 2  # the receiver failed the first delivery: sent again
    for headers, body in receiver.received:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["x-alert-signature"], expected)
    last = delivered[-1]
    assert (last["organization"], last["quota"], last["limit"]) == (org, "requests_per_day", 4)
    assert last["resets_at"] and last["used"] >= 4
    sample = svc.metrics_registry.get_sample_value(
        "llm_budget_alerts_total", {"quota": "requests_per_day", "threshold": "80"}
    )
    assert sample == 1.0


@pytest.mark.redis
async def test_two_replicas_sharing_redis_alert_once(
    make_service: Callable[..., Any], receiver: Receiver, redis_server: RedisServer
) -> None:
    receiver.failures = 0
    org = unique("alerts-redis")
    settings = {
        "quotas": {org: QuotaLimits(requests_per_day=4)},
        "alert_webhook_url": receiver.url,
        "redis_url": redis_server.url,
    }
    one: LLMService = await make_service(**settings)
    two: LLMService = await make_service(**settings)
    await calls(one, org, 2)
    await calls(two, org, 2)
    await one.alerts.idle()
    await two.alerts.idle()
    await calls(one, org, 1)
    await calls(two, org, 1)
    await one.alerts.idle()
    await two.alerts.idle()
    assert sorted(a["threshold_percent"] for a in receiver.alerts()) == [50, 80, 100]


async def test_a_stuck_receiver_never_holds_up_calls(make_service: Callable[..., Any]) -> None:
    release = threading.Event()
    arrived = threading.Event()

    async def hook(request: Request) -> Response:
        arrived.set()
        await asyncio.to_thread(release.wait, 10)
        return Response(status_code=204)

    server = FakeServer(Starlette(routes=[Route("/hook", hook, methods=["POST"])]))
    org = unique("alerts-stuck")
    svc: LLMService = await make_service(
        quotas={org: QuotaLimits(requests_per_day=2)}, alert_webhook_url=f"{server.url}/hook"
    )
    server.start()
    try:
        await calls(svc, org, 1)  # 50 %: an alert is on its way to a receiver that does not answer
        await asyncio.to_thread(arrived.wait, 10)
        assert arrived.is_set()
        await calls(svc, org, 1)  # answered while the first delivery is still waiting
        assert svc.alerts._deliveries, "the delivery is still in flight"
    finally:
        release.set()
        await svc.alerts.idle()
        server.stop()


async def test_a_new_quota_window_alerts_again_and_every_alert_is_logged(
    make_service: Callable[..., Any], receiver: Receiver, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    receiver.failures = 0
    org = unique("alerts-window")
    svc: LLMService = await make_service(
        quotas={org: QuotaLimits(requests_per_minute=2)}, alert_webhook_url=receiver.url
    )
    real = time.time
    start = (real() // 60 + 1) * 60 + 1  # one second into the next minute: both calls in one window
    caplog.set_level(logging.WARNING, logger="mcp_llm.governance.budget_alerts")
    for window in range(2):
        now = start + 60 * window
        monkeypatch.setattr(time, "time", lambda now=now: now)
        await calls(svc, org, 3)  # 50 %, then 100 % (and 80 %), then refused
        await svc.alerts.idle()
    monkeypatch.setattr(time, "time", real)
    per_window: dict[str, list[int]] = {}
    for alert in receiver.alerts():  # deliveries run side by side: arrival order is not guaranteed
        per_window.setdefault(alert["resets_at"], []).append(alert["threshold_percent"])
    assert len(per_window) == 2  # once per threshold per window, and again in the next window
    assert all(sorted(thresholds) == [50, 80, 100] for thresholds in per_window.values())
    logged = [r for r in caplog.records if r.getMessage() == "budget threshold crossed"]
    assert [(r.organization, r.quota, r.threshold_percent) for r in logged] == [  # type: ignore[attr-defined]
        (org, "requests_per_minute", t) for t in (50, 80, 100) * 2
    ]
