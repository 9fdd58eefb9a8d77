"""With keys on: feedback only on the key's own organization's requests, analysis for operators only,
quality reports scoped to the key's organization like usage reports."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import llm_process
from tests.llm.governance.conftest import make_key


def test_keys_scope_feedback_and_reserve_the_report_and_freezing_for_operators(
    experiments_file: Path,
) -> None:
    acme, rival, operator = make_key("acme"), make_key("rival"), make_key("billing")
    proc = llm_process(
        AUTH_ENABLED="true",
        API_KEYS=",".join(k.entry for k in (acme, rival, operator)),
        AUTH_ADMIN_ORGANIZATIONS="billing",
        EXPERIMENTS_FILE=str(experiments_file),
    ).start()
    try:
        with httpx.Client(base_url=proc.url, timeout=30) as http:
            answer = http.post(
                "/tools/complete",
                headers=acme.headers,
                json={"experiment": "split", "messages": [{"role": "user", "content": "hi"}]},
            ).json()
            body = {"request_id": answer["request_id"], "metric": "correct", "value": True}
            # Naming acme as the organization does not help a rival key: the key decides.
            stolen = http.post("/feedback", headers=rival.headers, json={**body, "organization_id": "acme"})
            own = http.post("/feedback", headers=acme.headers, json=body)
            report_by_acme = http.post(
                "/tools/experiment_report", headers=acme.headers, json={"experiment": "split"}
            )
            freeze_by_acme = http.post(
                "/tools/freeze_experiment", headers=acme.headers, json={"experiment": "split", "variant": "a"}
            )
            report = http.post(
                "/tools/experiment_report", headers=operator.headers, json={"experiment": "split"}
            )
            anonymous = http.post("/feedback", json=body)
            http.post(
                "/tools/complete",
                headers=rival.headers,
                json={
                    "model": "mock-echo",
                    "messages": [{"role": "user", "content": "I cannot help with it."}],
                },
            )
            # quality_report is scoped like usage_report: a key sees its own organization, whatever it asks
            quality_acme = http.post(
                "/tools/quality_report", headers=acme.headers, json={"organization_id": "rival"}
            ).json()
            quality_rival = http.get("/quality", headers=rival.headers).json()
            quality_all = http.post("/tools/quality_report", headers=operator.headers, json={}).json()
            quality_anonymous = http.get("/quality")
    finally:
        proc.stop()
    assert stolen.status_code == 404, stolen.text
    assert own.status_code == 200, own.text
    assert report_by_acme.status_code == 403 and freeze_by_acme.status_code == 403
    assert report.status_code == 200 and sum(v["feedback"] for v in report.json()["variants"]) == 1
    assert anonymous.status_code == 401
    assert {r["organization"] for r in quality_acme["rows"]} == {"acme"}
    assert quality_acme["totals"]["refusals"] == 0
    assert {r["organization"] for r in quality_rival["rows"]} == {"rival"}
    assert quality_rival["totals"]["refusals"] == 1
    assert {r["organization"] for r in quality_all["rows"]} == {"acme", "rival"}
    assert quality_anonymous.status_code == 401
