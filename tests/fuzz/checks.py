"""What every answer to hostile input must look like, whatever the input was.

A 5xx is allowed only as the contract's structured error for a provider-side failure (the mock's
failure-injection names produce those on purpose); a 500, a stack trace, a body that is not the
structured error, or no answer in time is a finding.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.fuzz.conftest import FUZZ_TIMEOUT

UPSTREAM_ERRORS = {"provider_unavailable", "timeout", "rate_limit"}
# What uvicorn itself answers to a request it cannot parse, before the application sees it.
SERVER_PLAIN_ANSWERS = {"Invalid HTTP request received."}
TRACE_MARKERS = ("Traceback (most recent call last)", 'File "/', "site-packages/")


class Finding(AssertionError):
    """A response that breaks the rules; the message says which rule and shows the request."""


def describe(method: str, url: str, body: object) -> str:
    shown = repr(body)
    return f"{method} {url} body={shown[:300]}{'…' if len(shown) > 300 else ''}"


def check_text(text: str, where: str) -> None:
    for marker in TRACE_MARKERS:
        if marker in text:
            raise Finding(f"stack trace in the answer to {where}: {text[:500]}")


def check_error_payload(payload: Any, status: int, where: str) -> None:
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("type"), str) or "message" not in error:
        raise Finding(f"{status} without a structured error for {where}: {str(payload)[:300]}")
    if error["type"] == "internal" or (status >= 500 and error["type"] not in UPSTREAM_ERRORS):
        raise Finding(f"{status} {error['type']} for {where}: {error.get('message')!r}")


def check_response(response: httpx.Response, where: str) -> None:
    """Apply the rules to a complete (non-streaming) answer."""
    text = response.text
    check_text(text, where)
    if response.status_code == 500:
        raise Finding(f"500 for {where}: {text[:300]}")
    if response.status_code < 400 or text in SERVER_PLAIN_ANSWERS:
        return
    try:
        payload = response.json()
    except ValueError:
        raise Finding(
            f"{response.status_code} with a body that is not JSON for {where}: {text[:300]}"
        ) from None
    check_error_payload(payload, response.status_code, where)


def check_sse(text: str, where: str) -> None:
    """A stream must end with one ``done`` or ``error`` event, and an error event must be structured."""
    check_text(text, where)
    events = [block for block in text.split("\n\n") if block.strip()]
    if not events:
        raise Finding(f"empty event stream for {where}")
    last = dict(line.split(": ", 1) for line in events[-1].splitlines() if ": " in line)
    if last.get("event") not in ("done", "error"):
        raise Finding(f"event stream for {where} ended without done or error: {events[-1][:200]}")
    if last.get("event") == "error":
        check_error_payload(json.loads(last.get("data", "{}")), 200, where)


def send(client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request; no answer within FUZZ_TIMEOUT is a hang, reported as a finding."""
    where = describe(method, url, kwargs.get("content", kwargs.get("json", kwargs.get("params"))))
    try:
        with client.stream(method, url, timeout=FUZZ_TIMEOUT, **kwargs) as response:
            response.read()
    except httpx.TimeoutException:
        raise Finding(f"no answer within {FUZZ_TIMEOUT} s for {where}") from None
    except httpx.TransportError as exc:
        raise Finding(f"connection failed ({type(exc).__name__}: {exc}) for {where}") from None
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        check_sse(response.text, where)
    else:
        check_response(response, where)
    return response
