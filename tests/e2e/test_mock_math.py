"""``mock-math-<p>`` through a running mcp-llm: over many questions it is right about p % of the time."""

from __future__ import annotations

import math
import random

import httpx

from tests.conftest import ServiceProcess


def test_mock_math_accuracy_through_the_server(llm_mock: ServiceProcess) -> None:
    rng = random.Random(11)
    p, n = 0.6, 400
    right = 0
    with httpx.Client(base_url=llm_mock.url, timeout=30) as http:
        for i in range(n):
            a, b, c = rng.randint(1, 50), rng.randint(1, 50), rng.randint(2, 9)
            body = {
                "provider": "mock",
                "model": "mock-math-60",
                "cache": False,
                "messages": [
                    {"role": "system", "content": f"You are Panelist {i % 7}, a participant in a debate."},
                    {"role": "user", "content": f"What is ({a}-{b})*{c}?"},
                ],
            }
            reply = http.post("/tools/complete", json=body).json()["content"]
            right += int(reply.rsplit("Final answer: ", 1)[1]) == (a - b) * c
    assert abs(right / n - p) <= 3 * math.sqrt(p * (1 - p) / n), right / n
