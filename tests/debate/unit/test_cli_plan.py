"""``mcp-debate run``'s input: participant specs, debate files, flags over files, and every refusal naming
what is wrong, all decided before anything is started."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from mcp_debate.cli.errors import EXIT_USAGE, CliError
from mcp_debate.cli.options import add_run_arguments
from mcp_debate.cli.participants import DEMO_TOPIC, parse_participant
from mcp_debate.cli.plan import RunPlan, build_plan

ROOT = Path(__file__).resolve().parents[3]


def plan(*argv: str) -> RunPlan:
    parser = argparse.ArgumentParser()
    add_run_arguments(parser)
    return build_plan(parser.parse_args(list(argv)))


def refusal(*argv: str) -> str:
    with pytest.raises(CliError) as caught:
        plan(*argv)
    assert caught.value.exit_code == EXIT_USAGE
    return "\n".join(caught.value.lines())


SPECS = [
    (
        "Pro:openai/gpt-5-mini:for the motion",
        "Pro",
        {"provider": "openai", "model": "gpt-5-mini"},
        "for the motion",
    ),
    ("Con:claude", "Con", {"provider": "claude"}, None),
    ("Judge::weighs both sides", "Judge", {"provider": "mock"}, "weighs both sides"),
    ("Alice", "Alice", {"provider": "mock"}, None),
    ("Local:ollama/qwen3:0.6b:", "Local", {"provider": "ollama", "model": "qwen3:0.6b"}, None),
    (
        "Local:ollama/qwen3:0.6b:in favour",
        "Local",
        {"provider": "ollama", "model": "qwen3:0.6b"},
        "in favour",
    ),
    ("Pro:mock:in favour: mostly", "Pro", {"provider": "mock"}, "in favour: mostly"),
    ("Pro:mock/mock-1:for", "Pro", {"provider": "mock", "model": "mock-1"}, "for"),
    (" Dr Who : mock : time travel ", "Dr Who", {"provider": "mock"}, "time travel"),
]


@pytest.mark.parametrize(("spec", "name", "config", "stance"), SPECS, ids=[s[0] for s in SPECS])
def test_participant_specs(spec: str, name: str, config: dict[str, str], stance: str | None) -> None:
    participant = parse_participant(spec)
    assert participant["name"] == name
    assert participant["llm_config"] == config
    assert participant.get("stance") == stance


def test_default_target_fills_specs_without_one() -> None:
    assert parse_participant("Judge", "gemini/gemini-2.5-flash")["llm_config"] == {
        "provider": "gemini",
        "model": "gemini-2.5-flash",
    }


def test_no_flags_make_the_demo() -> None:
    debate = plan().debate
    assert debate is not None
    assert debate["topic"] == DEMO_TOPIC and debate["name"] == DEMO_TOPIC
    assert [p["llm_config"] for p in debate["participants"]] == [{"provider": "mock"}] * 3
    assert len({p["stance"] for p in debate["participants"]}) == 3
    assert "max_rounds" not in debate  # the service's default


def test_the_demo_on_another_model() -> None:
    debate = plan("--model", "openai/gpt-5-mini", "--topic", "Tabs or spaces?").debate
    assert debate is not None
    assert {p["llm_config"]["model"] for p in debate["participants"]} == {"gpt-5-mini"}


def test_a_long_topic_makes_a_short_name() -> None:
    debate = plan("--topic", "word " * 100).debate
    assert debate is not None
    assert len(debate["name"]) == 80 and debate["name"].endswith("…")


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_the_example_file_is_a_valid_debate() -> None:
    debate = plan("--file", str(ROOT / "examples" / "debate.yaml")).debate
    assert debate is not None
    assert [p["name"] for p in debate["participants"]] == ["Urbanist", "Shopkeeper", "Commuter"]
    assert debate["participants"][2]["llm_config"] == {"provider": "mock", "model": "mock-1"}


def test_flags_override_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "d.yaml",
        "name: Old\ntopic: Old topic\nmax_rounds: 5\nrules: [old]\n"
        "participants:\n  - {name: A, llm_config: {provider: mock, temperature: 1.0}}\n  - B::b\n",
    )
    debate = plan("-f", path, "-t", "New topic", "-r", "2", "--rule", "new", "--temperature", "0.1").debate
    assert debate is not None
    assert (debate["name"], debate["topic"], debate["max_rounds"], debate["rules"]) == (
        "Old",
        "New topic",
        2,
        ["new"],
    )
    assert [p["llm_config"]["temperature"] for p in debate["participants"]] == [0.1, 0.1]
    replaced = plan("-f", path, "-p", "X", "-p", "Y").debate
    assert replaced is not None and [p["name"] for p in replaced["participants"]] == ["X", "Y"]


def test_json_file(tmp_path: Path) -> None:
    path = write(
        tmp_path, "d.json", '{"topic": "T", "participants": ["A", "B"], "summarizer": {"provider": "mock"}}'
    )
    debate = plan("-f", path).debate
    assert debate is not None and debate["summarizer"] == {"provider": "mock"}


REFUSALS: list[tuple[str, list[str], list[str]]] = [
    ("spec without a name", ["-p", ":mock", "-p", "B"], ["invalid participant spec ':mock': it has no name"]),
    (
        "stance as target",
        ["-p", "Pro:for it", "-p", "B"],
        ["the target 'for it' contains a space", "'Pro::for it'"],
    ),
    ("empty model", ["-p", "A:mock/", "-p", "B"], ["'mock/' is not a PROVIDER[/MODEL] target"]),
    ("one participant", ["-p", "Solo"], ["participants: List should have at least 2 items"]),
    ("zero rounds", ["-r", "0"], ["max_rounds: Input should be greater than or equal to 1"]),
    (
        "bad temperature",
        ["--temperature", "9"],
        ["participant 'Advocate' (participants[0].llm_config.temperature)"],
    ),
    ("--database alone", ["--database", "x.db"], ["--database only applies with --local"]),
    ("--llm-port alone", ["--llm-port", "5001"], ["--llm-port only applies with --local"]),
    (
        "port out of range",
        ["--local", "--debate-port", "70000"],
        ["--debate-port 70000 is not a port number"],
    ),
    ("resume and define", ["--resume", "deb_1", "-t", "x", "-r", "2"], ["drop --topic, --rounds"]),
    ("resume a temporary db", ["--local", "--resume", "deb_1"], ["--resume with --local needs --database"]),
    ("missing file", ["-f", "no/such.yaml"], ["cannot read the debate file no/such.yaml"]),
]


@pytest.mark.parametrize(("case", "argv", "says"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_name_the_problem(case: str, argv: list[str], says: list[str]) -> None:
    report = refusal(*argv)
    assert report.startswith("error: ")
    for words in says:
        assert words in report


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("broken.yaml", "topic: [unclosed\nparticipants: 3\n", "is not valid YAML"),
        ("broken.json", '{"topic": ', "is not valid JSON: Expecting value (line 1, column 11)"),
        ("list.yaml", "- a\n- b\n", "must hold a mapping of create_debate's arguments"),
        ("extra.yaml", "topic: T\ncolour: red\n", "colour: unknown field"),
        (
            "bad-entry.yaml",
            "topic: T\nparticipants: [{name: A}, B]\n",
            "participant 'A' (participants[0].llm_config)",
        ),
    ],
)
def test_bad_files(tmp_path: Path, name: str, text: str, says: str) -> None:
    path = write(tmp_path, name, text)
    report = refusal("--file", path)
    assert says in report
    assert path in report.splitlines()[0]


def test_urls_name_the_mcp_endpoint() -> None:
    assert plan("--url", "http://h:5002").url == "http://h:5002/mcp"
    assert plan("--url", "http://h:5002/mcp/").url == "http://h:5002/mcp"


def test_the_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCP_DEBATE_URL", "http://debates.internal:5002")
    assert plan().url == "http://debates.internal:5002/mcp"


def args_of(plan_: RunPlan) -> dict[str, Any]:
    return {"format": plan_.export_format, "output": plan_.output}


def test_export_options() -> None:
    assert args_of(plan()) == {"format": "markdown", "output": None}
    assert args_of(plan("--format", "html", "-o", "out/")) == {"format": "html", "output": "out/"}
    assert args_of(plan("--no-export")) == {"format": None, "output": None}


def test_stance_check_flag() -> None:
    checked = plan("--stance-check").debate
    assert checked is not None and checked["stance_check"] is True
    plain = plan().debate
    assert plain is not None and "stance_check" not in plain
