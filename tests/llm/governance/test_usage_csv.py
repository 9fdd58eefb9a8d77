"""usage_report's CSV is safe to open in a spreadsheet: no cell a caller named starts a formula."""

from __future__ import annotations

import csv
import io
import time

import httpx
import pytest

from tests.conftest import ServiceProcess

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")  # OWASP: what makes a spreadsheet read a formula
USER = [{"role": "user", "content": "hi"}]


@pytest.fixture
def http(llm_server: ServiceProcess):
    with httpx.Client(base_url=llm_server.url, timeout=10) as client:
        yield client


def test_formula_looking_names_are_written_as_text(http: httpx.Client) -> None:
    organization = f"@evil-{time.time_ns()}"
    models = ["-2+3", "+1+1", "@SUM:1", "mock-1"]
    for model in models:
        body = {"provider": "mock", "model": model, "messages": USER, "organization_id": organization}
        assert http.post("/tools/complete", json=body).status_code == 200
    formula = {"provider": "mock", "model": '=HYPERLINK("http://x")', "messages": USER}
    assert http.post("/tools/complete", json=formula).status_code == 422  # never gets into the ledger

    report = http.post(
        "/tools/usage_report", json={"organization_id": organization, "period": "today", "format": "csv"}
    ).json()
    download = http.get(
        "/usage", params={"organization_id": organization, "period": "today", "format": "csv"}
    )
    assert download.status_code == 200 and download.text == report["csv"]

    rows = list(csv.DictReader(io.StringIO(report["csv"])))
    assert sorted(r["model"] for r in rows) == sorted(["'-2+3", "'+1+1", "'@SUM:1", "mock-1"])
    assert {r["organization"] for r in rows} == {"'" + organization}
    for row in rows:
        assert not any(cell.startswith(FORMULA_TRIGGERS) for cell in row.values()), row
        assert int(row["requests"]) == 1  # numbers stay numbers
    assert {line["model"] for line in report["rows"]} == set(models)  # JSON keeps the names as they are
