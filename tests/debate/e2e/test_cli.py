"""``mcp-debate run`` as a user runs it: a subprocess against started services, or with ``--local`` alone.

The output is piped, so the command prints plain lines; each test checks that every turn of the debate is
in it (heading and text), that the totals match the service's ledger, and that the export holds every turn.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, ServiceProcess, clean_env
from tests.debate.conftest import debate_process
from tests.fakes.server import free_port

RUN = [sys.executable, "-m", "mcp_debate", "run"]
DEMO = ("Advocate", "Skeptic", "Pragmatist")


def run_cli(
    *args: str, timeout: float = 90, cwd: Path = ROOT, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*RUN, *args], cwd=cwd, env=clean_env(**env), capture_output=True, text=True, timeout=timeout
    )


def debate_id_of(out: str) -> str:
    return out.split("Debate ", 1)[1].split(":", 1)[0]


def messages(server: ServiceProcess, debate_id: str) -> list[dict[str, Any]]:
    return list(httpx.get(f"{server.url}/debates/{debate_id}/messages", timeout=10).json()["messages"])


def assert_every_turn_shown(
    out: str, turns: list[dict[str, Any]], names: tuple[str, ...], rounds: int
) -> None:
    """A heading per turn in speaking order, and each turn's text after its heading."""
    total = rounds * len(names)
    expected = [
        f"[{t}/{total}] Round {(t - 1) // len(names) + 1} of {rounds} · {names[(t - 1) % len(names)]} ("
        for t in range(1, total + 1)
    ]
    headings = [line for line in out.splitlines() if line.startswith("[")]
    assert [h.split("(")[0] + "(" for h in headings] == expected
    assert len(turns) == total
    position = 0
    for turn, heading in zip(turns, expected, strict=True):
        position = out.index(heading, position)
        position = out.index(turn["content"], position)


def assert_totals(out: str, ledger_total: dict[str, Any]) -> None:
    tokens = ledger_total["input_tokens"] + ledger_total["output_tokens"]
    totals = [line.rsplit("| total: ", 1)[1] for line in out.splitlines() if "| total: " in line]
    assert totals[-1] == f"{tokens:,} tokens, ${ledger_total['cost_usd']:.4f}"
    running = [int(t.split(" tokens")[0].replace(",", "")) for t in totals]
    assert running == sorted(running) and len(set(running)) == len(running)  # grows with every turn
    assert f"completed: {ledger_total['turns']} turns, {tokens:,} tokens" in out


def test_run_against_started_services(debate_server: ServiceProcess, tmp_path: Path) -> None:
    done = run_cli(
        "--url",
        debate_server.url,
        "--topic",
        "Is remote work here to stay?",
        "-p",
        "Pro:mock/mock-1:for remote work",
        "-p",
        "Con:mock:against it",
        "-p",
        "Judge::weighs both sides",
        "--rounds",
        "2",
        "--rule",
        "Be concise.",
        "--output",
        f"{tmp_path}/",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    debate_id = debate_id_of(out)
    view = httpx.get(f"{debate_server.url}/debates/{debate_id}", timeout=10).json()
    assert view["state"] == "completed" and view["topic"] == "Is remote work here to stay?"
    assert [(p["name"], p["stance"]) for p in view["participants"]] == [
        ("Pro", "for remote work"),
        ("Con", "against it"),
        ("Judge", "weighs both sides"),
    ]
    assert view["rules"] == ["Be concise."]
    turns = messages(debate_server, debate_id)
    assert_every_turn_shown(out, turns, ("Pro", "Con", "Judge"), rounds=2)
    assert_totals(out, view["ledger"]["total"])

    export = tmp_path / f"{debate_id}.md"
    assert f"Exported to {export}" in out
    text = export.read_text()
    assert text.startswith("# Is remote work here to stay?")
    assert all(turn["content"] in text for turn in turns)
    assert done.stderr == ""


def test_local_mode_runs_the_demo_with_no_services(tmp_path: Path) -> None:
    export = tmp_path / "demo.json"
    done = run_cli("--local", "--rounds", "2", "--format", "json", "--output", str(export))
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "in this process; debates in a temporary database" in out
    document = json.loads(export.read_text())
    turns = [m for m in document["messages"] if m["kind"] == "turn"]
    assert_every_turn_shown(out, turns, DEMO, rounds=2)
    assert_totals(out, document["debate"]["ledger"]["total"])
    assert document["debate"]["state"] == "completed"
    assert {p["name"]: p["provider"] for p in document["debate"]["participants"]} == dict.fromkeys(
        DEMO, "mock"
    )
    assert len({p["stance"] for p in document["debate"]["participants"]}) == 3
    assert f"Exported to {export}" in out


def test_the_export_goes_to_data_by_default(tmp_path: Path) -> None:
    """Without --output the export lands in data/ (made when missing), not among the files of the folder."""
    done = run_cli("--local", "-p", "A", "-p", "B", "-r", "1", "--plain", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    debate_id = debate_id_of(done.stdout)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
    assert [p.name for p in (tmp_path / "data").iterdir()] == [f"{debate_id}.md"]
    assert f"Exported to data/{debate_id}.md" in done.stdout


def test_local_mode_keeps_debates_in_a_named_database(tmp_path: Path) -> None:
    database = tmp_path / "kept.db"
    port = free_port()
    done = run_cli(
        "--local", "--database", str(database), "--debate-port", str(port), "-p", "A", "-p", "B", "-r", "1",
        "--summarize", "--no-export",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"mcp-debate on http://127.0.0.1:{port}," in done.stdout
    assert "Summary:" in done.stdout and "Exported" not in done.stdout
    debate_id = debate_id_of(done.stdout)

    again = run_cli("--local", "--database", str(database), "--resume", debate_id, "-o", f"{tmp_path}/")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "2 of 2 turns already taken" in again.stdout and "[1/2]" not in again.stdout
    assert "## Summary" in (tmp_path / f"{debate_id}.md").read_text()


def test_a_debate_file(debate_server: ServiceProcess, tmp_path: Path) -> None:
    done = run_cli("--url", debate_server.mcp_url, "--file", "examples/debate.yaml", "-o", f"{tmp_path}/")
    assert done.returncode == 0, done.stdout + done.stderr
    debate_id = debate_id_of(done.stdout)
    view = httpx.get(f"{debate_server.url}/debates/{debate_id}", timeout=10).json()
    assert view["name"] == "City cars" and view["max_rounds"] == 2 and len(view["rules"]) == 2
    names = tuple(p["name"] for p in view["participants"])
    assert names == ("Urbanist", "Shopkeeper", "Commuter")
    assert view["participants"][0]["max_output_tokens"] == 400
    assert view["participants"][2]["stance"] == "undecided; wants a fast, cheap way to work"
    assert_every_turn_shown(done.stdout, messages(debate_server, debate_id), names, rounds=2)
    assert (tmp_path / f"{debate_id}.md").exists()


# Refusals decided before anything starts are unit-tested in tests/debate/unit/test_cli_plan.py.
BAD_INPUT = [
    (
        "unknown provider",
        ["-p", "Pro:mock", "-p", "Con:skynet/t-800:against"],
        2,
        ["participant 'Con' (participants[1].llm_config.provider)", "unknown provider 'skynet'"],
    ),
    (
        "provider without credentials",
        ["-p", "Pro:mock", "-p", "Con:openai/gpt-5-mini"],
        2,
        ["participant 'Con'", "not configured"],
    ),
    (
        "stance where the target goes",
        ["-p", "Pro:for the motion", "-p", "Con"],
        2,
        ["invalid participant spec 'Pro:for the motion'", "Pro::for the motion"],
    ),
    (
        "unknown debate",
        ["--resume", "deb_missing"],
        2,
        ["cannot resume debate deb_missing", "unknown debate"],
    ),
]


@pytest.mark.parametrize(("case", "args", "code", "says"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_is_named_with_a_nonzero_exit(
    debate_server: ServiceProcess, case: str, args: list[str], code: int, says: list[str]
) -> None:
    done = run_cli("--url", debate_server.url, *args)
    assert done.returncode == code, done.stdout + done.stderr
    assert done.stderr.startswith("error: ")
    for words in says:
        assert words in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_unreachable_service_says_how_to_start_it() -> None:
    url = f"http://127.0.0.1:{free_port()}/mcp"
    done = run_cli("--url", url)
    assert done.returncode == 3
    assert done.stderr.startswith(f"error: cannot reach mcp-debate at {url}")
    assert "make run" in done.stderr and "--local" in done.stderr
    assert "Traceback" not in done.stderr


def test_mcp_llm_down_says_so(tmp_path: Path) -> None:
    orphan = debate_process(f"http://127.0.0.1:{free_port()}", tmp_path / "orphan.db").start()
    try:
        done = run_cli("--url", orphan.url)
    finally:
        orphan.stop()
    assert done.returncode == 1
    assert "mcp-debate could not create the debate" in done.stderr and "is unreachable" in done.stderr
    assert "hint: is mcp-llm running?" in done.stderr


def test_not_the_debate_service(llm_mock: ServiceProcess) -> None:
    done = run_cli("--url", llm_mock.url)
    assert done.returncode == 3
    assert f"{llm_mock.mcp_url} is not mcp-debate" in done.stderr


def test_a_turn_that_fails_names_the_participant_and_how_to_go_on(
    debate_server: ServiceProcess, tmp_path: Path
) -> None:
    done = run_cli(
        "--url",
        debate_server.url,
        "-p",
        "Pro",
        "-p",
        "Con:mock/mock-fail-auth",
        "-r",
        "1",
        "-o",
        f"{tmp_path}/",
    )
    assert done.returncode == 1, done.stdout + done.stderr
    debate_id = debate_id_of(done.stdout)
    assert "participant 'Con' (mock/mock-fail-auth)" in done.stderr
    assert "(debate failed, 1 of 2 turns)" in done.stderr and "error type: authentication" in done.stderr
    assert f"mcp-debate run --resume {debate_id} --url {debate_server.mcp_url}" in done.stderr
    assert f"Exported (1 of 2 turns) to {tmp_path / debate_id}.md" in done.stdout
    assert "Traceback" not in done.stderr


def test_ctrl_c_pauses_the_debate_and_resume_finishes_it(
    debate_server: ServiceProcess, tmp_path: Path
) -> None:
    # Slow turns, so the interrupt lands while a turn is in flight (it still lands in the service).
    args = [
        "--url",
        debate_server.url,
        "-p",
        "A:mock/mock-slow-500",
        "-p",
        "B:mock/mock-slow-500",
        "-r",
        "2",
    ]
    proc = subprocess.Popen(
        [*RUN, *args, "-o", f"{tmp_path}/"],
        cwd=ROOT,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("[2/4]"):
            proc.send_signal(signal.SIGINT)
            break
    rest, err = proc.communicate(timeout=60)
    out = "".join(seen) + rest
    assert proc.returncode == 130, out + err
    debate_id = debate_id_of(out)
    assert err.startswith(f"error: interrupted: debate {debate_id} paused after")
    assert f"continue with: mcp-debate run --resume {debate_id} --url {debate_server.mcp_url}" in err
    assert "Traceback" not in err
    assert httpx.get(f"{debate_server.url}/debates/{debate_id}", timeout=10).json()["state"] == "paused"
    assert (tmp_path / f"{debate_id}.md").exists()  # what existed was exported

    resumed = run_cli("--url", debate_server.url, "--resume", debate_id, "-o", f"{tmp_path}/")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    view = httpx.get(f"{debate_server.url}/debates/{debate_id}", timeout=10).json()
    assert view["state"] == "completed" and view["turns_taken"] == 4
    assert "[4/4] Round 2 of 2 · B" in resumed.stdout
    text = (tmp_path / f"{debate_id}.md").read_text()
    assert all(m["content"] in text for m in messages(debate_server, debate_id))


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_is_a_real_debate(tmp_path: Path) -> None:
    """The README's first command."""
    done = subprocess.run(
        ["make", "demo", f"ARGS=--rounds 1 --output {tmp_path}/"],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for name in DEMO:
        assert f"Round 1 of 1 · {name} (mock/mock-1)" in done.stdout
    assert len(list(tmp_path.glob("deb_*.md"))) == 1


def test_a_vote_ends_with_its_verdict(debate_server: ServiceProcess) -> None:
    done = run_cli(
        "--url", debate_server.url, "--topic", "What is 3+4?", "--protocol", "vote",
        "-p", "A:mock/mock-answer-7", "-p", "B:mock/mock-answer-7", "-p", "C:mock/mock-answer-9",
        "--judge", "J:mock/mock-judge", "--rounds", "2", "--no-export",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    turns = messages(debate_server, debate_id_of(out))
    assert_every_turn_shown(out, turns, ("A", "B", "C"), rounds=2)
    verdict = out[out.index("Verdict: ") :]
    assert verdict.startswith("Verdict: 7 (majority vote, confidence 0.67)\n")
    assert "Votes: 7: 2, 9: 1" in verdict and "Dissent: C: 9: " in verdict
    assert verdict.index("Votes") < verdict.index("Debate deb_")  # the verdict, then the closing line


def test_judged_with_a_moderator_from_flags(debate_server: ServiceProcess) -> None:
    done = run_cli(
        "--url", debate_server.url, "--topic", "What is 3+4?", "--protocol", "judged",
        "-p", "A:mock/mock-answer-7", "-p", "B:mock/mock-answer-7",
        "--moderator", "M:mock/mock-judge", "--judge", "J:mock/mock-judge", "--rounds", "3", "--no-export",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "[3/9] Round 1 of 3 · M (mock/mock-judge) · decision" in out
    assert "[4/4] Round 1 of 3 · J (mock/mock-judge) · verdict" in out
    assert "Verdict: 7 (the judge, confidence 1.00)" in out and "Stopped: moderator" in out
    assert "completed (moderator): 4 turns" in out


def test_a_budget_too_small_for_any_call(debate_server: ServiceProcess) -> None:
    done = run_cli(
        "--url", debate_server.url, "--topic", "What is 3+4?", "--protocol", "vote",
        "-p", "A:mock/mock-answer-7", "-p", "B:mock/mock-answer-9", "--budget-tokens", "10", "--no-export",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "-> not taken: budget exhausted" in out
    assert "Verdict: No answer: no verdict" in out and "Stopped: budget exhausted" in out
    assert "completed (budget exhausted): 0 turns" in out


def test_protocol_flags_do_not_apply_to_a_resumed_debate() -> None:
    done = run_cli("--resume", "deb_x", "--judge", "J:mock/mock-judge")
    assert done.returncode == 2 and "drop --judge" in done.stderr
