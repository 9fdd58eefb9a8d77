"""The answer checker, the datasets and the config: what counts as right, and bad input named by field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcp_debate.evaluation.checker import is_correct
from mcp_debate.evaluation.config import ConfigError, load_config
from mcp_debate.evaluation.datasets import DatasetError, arithmetic, jsonl
from mcp_debate.evaluation.methods import majority
from mcp_debate.evaluation.stats import Accuracy
from mcp_llm.providers.mock_answers import evaluate


@pytest.mark.parametrize(
    ("predicted", "expected"),
    [
        ("42", "42"),
        ("42.0", "42"),
        ("1,000", "1000"),
        ("$7", "7"),
        ("-13", "-13"),
        ("42 apples", "42"),
        ("x = 42", "42"),
        ("Paris", "paris"),
        ("  New   York ", "new york"),
    ],
)
def test_right_answers_in_other_forms_count(predicted: str, expected: str) -> None:
    assert is_correct(predicted, expected)


@pytest.mark.parametrize(
    ("predicted", "expected"),
    [("41", "42"), ("13", "-13"), ("4 or 42", "42"), ("", "42"), (None, "42"), ("Lyon", "Paris")],
)
def test_wrong_or_missing_answers_do_not(predicted: str | None, expected: str) -> None:
    assert not is_correct(predicted, expected)


def test_choices_by_text_or_letter() -> None:
    choices = ["red", "green", "blue"]
    assert is_correct("B", "green", choices)
    assert is_correct("(b)", "green", choices)
    assert is_correct("Green", "B", choices)
    assert is_correct("green", "green", choices)
    assert not is_correct("A", "green", choices)
    assert not is_correct("purple", "green", choices)


def test_majority_compares_normalised_and_gives_the_first_among_equals() -> None:
    assert majority(["7", "7.0", "8"]) == "7"
    assert majority(["8", "7", None, None]) == "8"
    assert majority([None, None]) is None


def test_arithmetic_is_du_et_al_form_seeded_and_right() -> None:
    items = arithmetic(100, seed=5)
    assert items == arithmetic(100, seed=5)
    assert items != arithmetic(100, seed=6)
    for item in items:
        expression = item.question.removeprefix("What is ").removesuffix("?")
        numbers = [int(n) for n in expression.replace("*", "+").replace("-", "+").split("+")]
        assert len(numbers) == 6
        assert all(0 <= n <= 29 for n in numbers)
        assert str(evaluate(expression)) == item.answer


def test_accuracy_interval() -> None:
    acc = Accuracy(60, 100)
    assert acc.standard_error == pytest.approx(0.04899, abs=1e-5)
    low, high = acc.interval
    assert low == pytest.approx(0.5020, abs=1e-3)
    assert high == pytest.approx(0.6906, abs=1e-3)
    assert Accuracy(0, 10).interval[0] == 0.0
    assert Accuracy(10, 10).interval[1] == pytest.approx(1.0)


def test_jsonl_reads_items_and_names_the_bad_line(tmp_path: Path) -> None:
    good = tmp_path / "q.jsonl"
    good.write_text(
        json.dumps({"question": "2+2?", "answer": 4})
        + "\n\n"
        + json.dumps({"question": "Colour?", "answer": "B", "choices": ["red", "green"], "id": "c"})
        + "\n"
    )
    items = jsonl(good)
    assert [i.answer for i in items] == ["4", "B"]
    assert items[1].choices == ["red", "green"]
    assert items[1].id == "c"
    for line, field in [
        ({"answer": 4}, "question"),
        ({"question": "q", "answer": True}, "answer"),
        ({"question": "q", "answer": 1, "choices": ["only"]}, "choices"),
    ]:
        bad = tmp_path / "bad.jsonl"
        bad.write_text(json.dumps({"question": "ok", "answer": 1}) + "\n" + json.dumps(line) + "\n")
        with pytest.raises(DatasetError, match=rf"bad\.jsonl:2: {field}"):
            jsonl(bad)
    (tmp_path / "junk.jsonl").write_text("{not json\n")
    with pytest.raises(DatasetError, match=r"junk\.jsonl:1: not JSON"):
        jsonl(tmp_path / "junk.jsonl")


def test_config_errors_name_the_field(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("methods:\n  - {name: s, kind: single}\n")
    with pytest.raises(ConfigError, match=r"methods\.0: Value error, single needs model"):
        load_config(path)
    path.write_text(
        "methods:\n  - {name: sc, kind: self-consistency, model: {provider: mock}}\n"
        "  - {name: v, kind: vote, panel: [{provider: mock}, {provider: mock}]}\n"
    )
    with pytest.raises(ConfigError, match="matching k needs a single method"):
        load_config(path)
    path.write_text("methods: []\n")
    with pytest.raises(ConfigError, match="methods"):
        load_config(path)
