"""The harness against known truth: ``mock-math-60`` answers right with probability 0.6, so what each
method should score is computable, and the measured accuracies must land near it.

The mock's rule (``mcp_llm.providers.mock_answers``): a participant answers ``What is <expr>?``
right when ``sha256(expr, name)[:8] mod 100 < 60``, else the right value plus an offset
``(-3, -2, -1, 1, 2, 3)[sha256[8] mod 6]`` (offsets 0-3 with probability 43/256, 4-5 with 42/256,
since 256 = 6·42 + 4). Different names err independently. So:

- ``single``: 0.6;
- a 5-member ``vote``: right when the right answer has strictly more ballots than any one wrong value
  (a tie without a judge is no answer): 0.81055, above the binomial majority 0.68256 because wrong
  answers split over six values;
- ``self-consistency`` with k = 5: the same, except a tie at the top goes to the answer given
  first: 0.86282.

Tolerance, chosen before running: each measured accuracy within 3 standard errors (sqrt(p(1-p)/n) of
the expected p, n = 200) of its expected value. The items are seeded, so the outcome is fixed.
A recorded run replayed gives the same report (the seconds items took aside), and a replay that asks
for anything not recorded fails loudly.
"""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import product
from pathlib import Path
from typing import Any

import pytest

from tests.evaluation.helpers import PANEL_SIZE, evaluate, method, mock, report, without_times, write_config

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ITEMS = 200
P = Fraction(60, 100)
WRONG = [Fraction(43, 256)] * 4 + [Fraction(42, 256)] * 2
TOLERANCE_SE = 3


def expected_majority(n: int, *, first_among_equals_wins: bool) -> float:
    """P(the right answer wins) for n independent mock-math-60 answers, by enumerating every outcome."""
    probs = [P] + [(1 - P) * w for w in WRONG]
    total = Fraction(0)
    for answers in product(range(len(probs)), repeat=n):
        counts = [answers.count(v) for v in range(len(probs))]
        top = max(counts)
        if counts[0] != top:
            continue
        tied = [v for v, c in enumerate(counts) if c == top]
        first = next(a for a in answers if a in tied)
        if len(tied) == 1 or (first_among_equals_wins and first == 0):
            total += math.prod((probs[a] for a in answers), start=Fraction(1))
    return float(total)


def test_the_expected_values() -> None:
    binomial = sum(math.comb(5, j) * 0.6**j * 0.4 ** (5 - j) for j in range(3, 6))
    assert binomial == pytest.approx(0.68256)
    assert expected_majority(1, first_among_equals_wins=False) == pytest.approx(0.6)
    assert expected_majority(5, first_among_equals_wins=False) == pytest.approx(0.810551, abs=1e-6)
    assert expected_majority(5, first_among_equals_wins=True) == pytest.approx(0.862820, abs=1e-6)


def config(items: int = ITEMS) -> dict[str, Any]:
    model = mock("mock-math-60")
    return {
        "dataset": {"kind": "arithmetic", "items": items, "seed": 12},
        "concurrency": 4,
        "methods": [
            {"name": "single", "kind": "single", "model": model},
            {"name": "vote-5", "kind": "vote", "panel": [model] * PANEL_SIZE},
            {"name": "sc-5", "kind": "self-consistency", "model": model, "k": 5},
        ],
    }


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("known-truth")
    done = evaluate(
        write_config(folder, config()), "--out", str(folder / "out"), "--record", str(folder / "rec")
    )
    assert done.returncode == 0, done.stderr
    return folder


def within(measured: dict[str, Any], expected: float) -> None:
    se = math.sqrt(expected * (1 - expected) / measured["items"])
    assert measured["items"] == ITEMS
    assert measured["errors"] == 0
    assert abs(measured["accuracy"] - expected) <= TOLERANCE_SE * se, (measured["accuracy"], expected, se)


def test_single_scores_about_sixty_percent(recorded: Path) -> None:
    within(method(report(recorded / "out"), "single"), 0.6)


def test_a_five_member_vote_scores_what_the_mock_rule_predicts_and_beats_single(recorded: Path) -> None:
    result = report(recorded / "out")
    vote, single = method(result, "vote-5"), method(result, "single")
    within(vote, expected_majority(5, first_among_equals_wins=False))
    assert vote["accuracy"] > single["accuracy"]
    assert vote["accuracy"] > 0.68256 - TOLERANCE_SE * math.sqrt(0.68256 * 0.31744 / ITEMS)
    assert vote["mean_tokens"] > single["mean_tokens"]
    low, high = vote["interval_95"]
    assert low < vote["accuracy"] < high


def test_self_consistency_scores_what_the_mock_rule_predicts(recorded: Path) -> None:
    sc = method(report(recorded / "out"), "sc-5")
    within(sc, expected_majority(5, first_among_equals_wins=True))
    assert sc["k"] == 5
    assert sc["calls"] == 5 * ITEMS


def test_the_report_says_the_panel_spent_more(recorded: Path) -> None:
    statements = report(recorded / "out")["statements"]
    assert any(s.startswith("vote-5 beats single") and "× the tokens" in s for s in statements)
    table = (recorded / "out" / "report.md").read_text()
    assert "| vote-5 |" in table
    assert (recorded / "out" / "chart.png").stat().st_size > 1000
    assert "<svg" in (recorded / "out" / "chart.svg").read_text()


def test_a_replayed_run_reports_the_same(recorded: Path) -> None:
    again = evaluate(
        write_config(recorded, config(), "again.yaml"),
        "--out",
        str(recorded / "replayed"),
        "--replay",
        str(recorded / "rec"),
    )
    assert again.returncode == 0, again.stderr
    assert without_times(report(recorded / "replayed")) == without_times(report(recorded / "out"))


def test_a_replay_that_asks_for_something_unrecorded_fails_loudly(recorded: Path) -> None:
    other = config()
    other["dataset"]["seed"] = 13
    missed = evaluate(
        write_config(recorded, other, "other.yaml"),
        "--out",
        str(recorded / "missed"),
        "--replay",
        str(recorded / "rec"),
    )
    assert missed.returncode == 1
    assert "replay miss" in missed.stderr
    assert report(recorded / "missed")["partial"] is True
