"""``mcp-debate evaluate CONFIG``: run the methods over the dataset, write the report, print the table.

The services are the started ones (``--url`` for mcp-debate, ``--llm-url`` for mcp-llm) or, with
``--local``, both served in this process as ``mcp-debate run --local`` does. ``--record DIR`` and
``--replay DIR`` set the embedded mcp-llm's ``LLM_RECORD_DIR`` / ``LLM_REPLAY_DIR`` (see
:mod:`mcp_llm.providers.recording`); against started services, set those on mcp-llm itself.

Writes ``<out>/results.jsonl`` as items finish, then ``report.json``, ``report.md`` and
``chart.png``/``chart.svg``; Ctrl-C stops the run, and the report of what finished is written all the
same. Running again with the same ``--out`` resumes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from mcp_debate.cli.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    CliError,
)
from mcp_debate.cli.interrupts import Interrupted, Interrupts
from mcp_debate.cli.local import local_services
from mcp_debate.cli.options import DEFAULT_URL
from mcp_debate.cli.plan import LocalOptions
from mcp_debate.evaluation import report as reports
from mcp_debate.evaluation.config import ConfigError, EvalConfig, load_config
from mcp_debate.evaluation.datasets import DatasetError, Item
from mcp_debate.evaluation.methods import Outcome, Services, mcp_caller
from mcp_debate.evaluation.progress import Progress
from mcp_debate.evaluation.runner import ResultsFolder, ResumeError, StoppedAtError, read_results, run
from mcp_debate.evaluation.sources import dataset
from mcp_shared.logging import configure_logging

DEFAULT_LLM_URL = "http://localhost:5001/mcp"


def add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", type=Path, help="the evaluation: a YAML or JSON file (dataset, methods)")
    parser.add_argument("--out", type=Path, help="results folder (default: evaluation-<config name>)")
    parser.add_argument("--local", action="store_true", help="serve mcp-llm and mcp-debate in this process")
    parser.add_argument(
        "--url", default=os.environ.get("MCP_DEBATE_URL") or DEFAULT_URL, help="mcp-debate MCP"
    )
    parser.add_argument(
        "--llm-url", default=os.environ.get("MCP_LLM_URL") or DEFAULT_LLM_URL, help="mcp-llm MCP"
    )
    recording = parser.add_mutually_exclusive_group()
    recording.add_argument("--record", type=Path, metavar="DIR", help="record every answer (needs --local)")
    recording.add_argument(
        "--replay", type=Path, metavar="DIR", help="answer from a recording (needs --local)"
    )
    parser.add_argument("--progress", action="store_true", help="show progress on the terminal")
    parser.add_argument("--verbose", action="store_true", help="log what the services do")


def evaluate_command(args: argparse.Namespace) -> int:
    configure_logging("INFO" if args.verbose else "WARNING", "text")
    try:
        config = load_config(args.config)
        items = dataset(config)
        if (args.record or args.replay) and not args.local:
            raise CliError(
                "--record and --replay need --local",
                exit_code=EXIT_USAGE,
                hint="for started services, set LLM_RECORD_DIR or LLM_REPLAY_DIR on mcp-llm instead",
            )
        if args.replay is not None and not (args.replay / "answers.jsonl").exists():
            raise CliError(f"--replay {args.replay}: no answers.jsonl there", exit_code=EXIT_USAGE)
        out = args.out or Path(f"evaluation-{args.config.stem}")
        results = ResultsFolder(out, config)
    except (ConfigError, DatasetError, ResumeError) as error:
        return _fail(CliError(str(error), exit_code=EXIT_USAGE))
    except OSError as error:
        return _fail(CliError(f"cannot write results: {error}", exit_code=EXIT_USAGE))
    except CliError as error:
        return _fail(error)
    code = EXIT_OK
    started = time.monotonic()
    try:
        asyncio.run(_evaluate(args, config, items, results))
    except CliError as error:
        code = _fail(error)
    except KeyboardInterrupt:
        code = _fail(CliError("interrupted: the report covers what finished", exit_code=EXIT_INTERRUPTED))
    report = write_reports(config, items, results, partial=code != EXIT_OK)
    print(reports.markdown(report))  # noqa: T201
    print(f"report in {results.folder} ({time.monotonic() - started:.1f} s)", file=sys.stderr)  # noqa: T201
    return code


def write_reports(
    config: EvalConfig, items: list[Item], results: ResultsFolder, *, partial: bool
) -> dict[str, Any]:
    report = reports.build(
        config, read_results(results.folder), [i.id for i in items], results.matched, partial=partial
    )
    folder = results.folder
    (folder / "report.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (folder / "report.md").write_text(reports.markdown(report), encoding="utf-8")
    try:
        from mcp_debate.evaluation.chart import draw
    except ImportError:
        print("no chart: install mcp-debate[evaluate] (matplotlib)", file=sys.stderr)  # noqa: T201
    else:
        draw(report, folder / "chart")
    return report


async def _evaluate(
    args: argparse.Namespace, config: EvalConfig, items: list[Item], results: ResultsFolder
) -> None:
    interrupts = Interrupts()
    interrupts.install()
    progress = Progress(config, items, results, enabled=args.progress)
    try:
        async with contextlib.AsyncExitStack() as stack:
            debate_url, llm_url = args.url, args.llm_url
            if args.local:
                _recording_setting(args)
                local = await stack.enter_async_context(local_services(LocalOptions(None, 0, 0)))
                debate_url, llm_url = local.debate_mcp_url, f"{local.llm_url}/mcp"
            llm = await _client(stack, llm_url, "MCP_LLM_API_KEY")
            debate = await _client(stack, debate_url, "MCP_DEBATE_API_KEY")
            stack.enter_context(progress)

            def stop(outcome: Outcome) -> bool:
                return args.replay is not None and "replay miss" in (outcome.error or "")

            services = Services(mcp_caller(llm, "mcp-llm"), mcp_caller(debate, "mcp-debate"))
            await interrupts.race(run(config, items, services, results, progress.update, stop))
    except BaseException as exc:  # the SDK and task groups wrap failures in exception groups
        raise _as_cli_error(exc) from None
    finally:
        interrupts.uninstall()


def _as_cli_error(exc: BaseException) -> BaseException:
    """The failure to report, out of the groups around it; Ctrl-C stays a KeyboardInterrupt."""
    leaves = _leaves(exc)
    for leaf in leaves:
        if isinstance(leaf, Interrupted | KeyboardInterrupt | asyncio.CancelledError):
            return KeyboardInterrupt()
    for leaf in leaves:
        if isinstance(leaf, CliError):
            return leaf
        if isinstance(leaf, StoppedAtError):
            return CliError(str(leaf), exit_code=EXIT_FAILED)
    for leaf in leaves:
        if isinstance(leaf, httpx2.TransportError | OSError):
            return CliError(
                f"cannot reach the services ({leaf})",
                exit_code=EXIT_UNREACHABLE,
                hint="start them with `make run`, or add --local",
            )
    leaf = leaves[0]
    return CliError(f"unexpected failure: {type(leaf).__name__}: {leaf}")


def _leaves(exc: BaseException) -> list[BaseException]:
    if not isinstance(exc, BaseExceptionGroup):
        return [exc]
    return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]


def _recording_setting(args: argparse.Namespace) -> None:
    """The embedded mcp-llm reads its settings from the environment: record or replay as asked."""
    for variable in ("LLM_RECORD_DIR", "LLM_REPLAY_DIR"):
        os.environ.pop(variable, None)
    if args.record is not None:
        os.environ["LLM_RECORD_DIR"] = str(args.record.resolve())
    if args.replay is not None:
        os.environ["LLM_REPLAY_DIR"] = str(args.replay.resolve())


async def _client(stack: contextlib.AsyncExitStack, url: str, key_variable: str) -> Client:
    key = os.environ.get(key_variable)
    http = httpx2.AsyncClient(
        headers={"Authorization": f"Bearer {key}"} if key else None,
        timeout=httpx2.Timeout(30.0, read=600.0),
    )
    await stack.enter_async_context(http)
    return await stack.enter_async_context(Client(streamable_http_client(url, http_client=http), cache=None))


def _fail(error: CliError) -> int:
    for line in error.lines():
        print(line, file=sys.stderr)  # noqa: T201
    return error.exit_code
