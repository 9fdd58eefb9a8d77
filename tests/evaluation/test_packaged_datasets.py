"""Datasets shipped in wheels (reasoning-gym's generators, CHAMP), read offline; formulas checked by value."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mcp_debate.evaluation.checker import is_correct
from mcp_debate.evaluation.config import EvalConfig
from mcp_debate.evaluation.packaged import champ_item, champ_items, reasoning_gym_items
from mcp_debate.evaluation.sources import dataset
from mcp_debate.evaluation.symbolic import equivalent, parse, plain
from tests.evaluation.helpers import evaluate, method, report, write_config

CHAMP_PROBLEMS = 270
CHAMP_CHECKABLE = 152
"""82 numbers (one written 'C(10, 5), or equivalently 252'), 33 yes/no, 37 formulas."""

OFFLINE = """
import json, socket, sys

def refuse(*args, **kwargs):
    raise OSError("network disabled for this check")

socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse

from mcp_debate.evaluation.packaged import champ_items, reasoning_gym_items

out = {
    "gsm_symbolic": [i.answer for i in reasoning_gym_items("gsm_symbolic", 5, 3)],
    "basic_arithmetic": [i.answer for i in reasoning_gym_items("basic_arithmetic", 5, 3)],
    "champ": len(champ_items(1000, "all")),
}
print(json.dumps(out))
"""


def test_the_packaged_datasets_load_with_the_network_cut_off() -> None:
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", OFFLINE],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(loaded["gsm_symbolic"]) == len(loaded["basic_arithmetic"]) == 5
    assert loaded["champ"] == CHAMP_PROBLEMS


@pytest.mark.parametrize("kind", ["gsm_symbolic", "basic_arithmetic"])
def test_reasoning_gym_items_are_seeded_numeric_and_distinct(kind: str) -> None:
    first, again, other = (reasoning_gym_items(kind, 20, seed) for seed in (5, 5, 6))
    assert first == again
    assert [i.question for i in first] != [i.question for i in other]
    assert len({i.id for i in first}) == 20
    for item in first:
        assert is_correct(item.answer, item.answer)
        float(item.answer)  # every answer is a number


def test_gsm_symbolic_answers_are_the_numbers_its_word_problems_ask_for() -> None:
    (item,) = reasoning_gym_items("gsm_symbolic", 1, 1)
    assert item.question.startswith("At John's house, there is 3 times as much kiwi as apple.")
    # 35 apples and 3 x 35 kiwis at home; 93 apples and 93 - 38 kiwis bought: 35 + 105 + 93 + 55.
    assert item.answer == "288"
    assert is_correct("288 fruits", item.answer)


def test_champ_keeps_what_a_checker_can_judge() -> None:
    checkable, every = champ_items(1000, "checkable"), champ_items(1000, "all")
    assert len(every) == CHAMP_PROBLEMS
    assert len(checkable) == CHAMP_CHECKABLE
    assert sum(1 for i in checkable if i.check == "expression") == 37
    for item in checkable:
        assert is_correct(item.answer, item.answer, None, item.check), item
    assert champ_items(10, "checkable") == checkable[:10]
    by_id = {i.id: i for i in checkable}
    assert by_id["P_Combinatorics_1"].answer == "239"
    assert by_id["P_Combinatorics_2"].answer == "252"  # 'C(10, 5), or equivalently 252'
    formula = by_id["P_Polynomial_31"]
    assert formula.check == "expression" and formula.answer == "(a^3+2b)/(3a)"
    assert is_correct(r"$\frac{a^3 + 2b}{3a}$", formula.answer, None, formula.check)
    assert is_correct(r"\dfrac{2b + a^{3}}{3 \cdot a}", formula.answer, None, formula.check)
    assert not is_correct(r"\frac{a^3 + 2b}{2a}", formula.answer, None, formula.check)
    assert "P_Polynomial_33" not in by_id  # '0 is the only possible value' needs a judge


@pytest.mark.parametrize(
    ("answer", "kept"),
    [
        ("239", "239"),
        ("1,024", "1024"),
        ("C(10, 5), or equivalently 252", "252"),
        ("No", "no"),
        ("2^(n-1)", "2^(n-1)"),
        ("No integer solutions", None),
        ("x=6, y=5", None),
        ("376 and 625", None),
    ],
)
def test_a_champ_answer_is_kept_only_in_a_form_the_checker_compares(answer: str, kept: str | None) -> None:
    item = champ_item("P_x", "Q?", answer)
    assert (item.answer if item else None) == kept


@pytest.mark.parametrize(
    ("predicted", "expected"),
    [
        (r"2^{\lfloor n/2 \rfloor} \cdot \lfloor n/2 \rfloor!", "2^floor(n/2)*floor(n/2)!"),
        (r"\binom{n+1}{2m+1}", "C(n+1, 2m+1)"),
        ("n(n-3)/2", r"\frac{n^2 - 3n}{2}"),
        (r"\sqrt{2}", "sqrt(2)"),
        (r"\frac{\sqrt{3}}{3}", "1/sqrt(3)"),
        (r"\boxed{\frac{1}{2}}", "1/2"),
        ("(2n)!/(2^n*n!)", r"\frac{(2n)!}{2^{n} \cdot n!}"),
    ],
)
def test_formulas_written_differently_are_equal(predicted: str, expected: str) -> None:
    assert equivalent(predicted, expected)


@pytest.mark.parametrize(
    ("predicted", "expected"),
    [
        ("n^2", "2^n"),
        ("2^(n+1)", "2^n"),
        ("n!", "(n+1)!"),
        ("1/3", "1/2"),
        ("", "1/2"),
        ("n", "no"),
        ("9^9^9^9", "2"),  # a power tower overflows at once rather than being computed
        ("((n!)!)!", "n"),
    ],
)
def test_different_formulas_are_not_equal(predicted: str, expected: str) -> None:
    assert not equivalent(predicted, expected)


@pytest.mark.parametrize(
    "hostile",
    [
        "__import__('os').system('true')",
        "n.__class__",
        "lambda: 1",
        "exec(1)",
        "eval(n)",
        "open(n)",
        "x" * 500,
        "(" * 100 + "n" + ")" * 100,
    ],
)
def test_only_formulas_of_letters_digits_and_known_functions_reach_the_parser(hostile: str) -> None:
    assert parse(hostile) is None


def test_latex_is_read_as_plain_notation() -> None:
    assert plain(r"$\left(\frac{1}{2}\right)^{n}$") == "(((1)/(2)))^(n)"
    assert plain(r"\boxed{252}") == "252"
    assert is_correct(r"$\boxed{252}$", "252")


def test_an_items_dataset_is_checked_like_a_jsonl_file() -> None:
    config = EvalConfig.model_validate(
        {
            "dataset": {
                "kind": "items",
                "entries": [{"question": "Q?", "answer": 3}, {"question": "R?", "answer": "x"}],
            },
            "methods": [{"name": "s", "kind": "single", "model": {"provider": "mock"}}],
        }
    )
    assert [(i.id, i.answer) for i in dataset(config)] == [("line-1", "3"), ("line-2", "x")]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_an_evaluation_runs_over_generated_word_problems(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        {
            "dataset": {"kind": "gsm_symbolic", "items": 6, "seed": 2},
            "methods": [
                {"name": "single", "kind": "single", "model": {"provider": "mock", "model": "mock-1"}}
            ],
        },
    )
    done = evaluate(config, "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    single = method(report(tmp_path / "out"), "single")
    assert single["items"] == 6 and single["errors"] == 0 and single["calls"] == 6
