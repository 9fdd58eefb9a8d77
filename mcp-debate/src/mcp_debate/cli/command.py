"""``mcp-debate run``: plan, connect (or start the services here), drive the debate, report, exit.

Everything that can go wrong ends here as one message on stderr and an exit code (see
:mod:`mcp_debate.cli.errors`); standard output carries only the debate.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import sys
import time
import traceback

import httpx2
from mcp.shared.exceptions import MCPError
from rich.console import Console

from mcp_debate.cli.connection import Connection
from mcp_debate.cli.display import Display, PlainDisplay
from mcp_debate.cli.driver import DebateDriver, Outcome, final_line
from mcp_debate.cli.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_UNREACHABLE, CliError
from mcp_debate.cli.interrupts import Interrupted, Interrupts
from mcp_debate.cli.live import LiveDisplay
from mcp_debate.cli.local import local_services
from mcp_debate.cli.options import DEFAULT_URL
from mcp_debate.cli.plan import RunPlan, build_plan
from mcp_shared.logging import configure_logging

START_HINT = (
    "start the services with `make run` (or `mcp-llm` and `mcp-debate serve`), "
    "or run everything in this process: add --local"
)


def run_command(args: argparse.Namespace) -> int:
    """Run one debate as the flags say; the exit code."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")  # a reply in any script prints, whatever the terminal
    configure_logging("INFO" if args.verbose else "WARNING", "text")
    try:
        plan = build_plan(args)
        return asyncio.run(_run(plan))
    except CliError as error:
        _report(error)
        return error.exit_code
    except KeyboardInterrupt:  # before the Ctrl-C handler was in place, or a second Ctrl-C
        _report(CliError("interrupted", exit_code=EXIT_INTERRUPTED))
        return EXIT_INTERRUPTED


async def _run(plan: RunPlan) -> int:
    interrupts = Interrupts()
    interrupts.install()
    display = _display(plan.plain)
    started = time.monotonic()
    driver: DebateDriver | None = None
    connection: Connection | None = None
    try:
        async with contextlib.AsyncExitStack() as stack:
            url = plan.url
            resume_flags: str | None = _url_flags(plan.url)
            if plan.local is not None:
                local = await stack.enter_async_context(local_services(plan.local))
                url = local.debate_mcp_url
                resume_flags = None if local.temporary else f" --local --database {local.database}"
                display.note(
                    f"mcp-llm on {local.llm_url} and mcp-debate on {local.debate_url}, in this process; "
                    f"debates in {'a temporary database' if local.temporary else local.database}"
                )
            connection = Connection(url, remote=plan.local is None)
            client = await connection.open(stack)
            driver = DebateDriver(client, plan, display, interrupts, resume_flags, url)
            outcome: Outcome = await driver.run()
            display.close()
            display.note(final_line(outcome.view, time.monotonic() - started))
        return EXIT_OK
    except BaseException as exc:  # grouped or not: the SDK reports connection failures as ExceptionGroup
        display.close()
        refused = connection is not None and connection.refused
        error = (
            connection.refusal() if connection and refused else _as_cli_error(_meaningful(exc), plan, driver)
        )
        if plan.verbose and error.exit_code == EXIT_FAILED and not isinstance(_meaningful(exc), CliError):
            traceback.print_exception(exc)
        raise error from None
    finally:
        interrupts.uninstall()


def _display(plain: bool) -> Display:
    console = Console()
    if plain or not console.is_terminal or console.is_dumb_terminal:
        return PlainDisplay()
    return LiveDisplay(console)


def _url_flags(url: str) -> str:
    return "" if url == DEFAULT_URL else f" --url {url}"


def _meaningful(exc: BaseException) -> BaseException:
    """The exception that explains a failure, out of the groups anyio and the SDK wrap around it."""
    if not isinstance(exc, BaseExceptionGroup):
        return exc
    leaves = _leaves(exc)
    for kind in (CliError, Interrupted, httpx2.TransportError, MCPError):
        for leaf in leaves:
            if isinstance(leaf, kind):
                return leaf
    return next((leaf for leaf in leaves if not isinstance(leaf, asyncio.CancelledError)), leaves[0])


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    out: list[BaseException] = []
    for exc in group.exceptions:
        out.extend(_leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc])
    return out


def _as_cli_error(exc: BaseException, plan: RunPlan, driver: DebateDriver | None) -> CliError:
    debate_id = driver.debate_id if driver else None
    if isinstance(exc, CliError):
        return exc
    if isinstance(exc, Interrupted | asyncio.CancelledError | KeyboardInterrupt):
        what = f": debate {debate_id} was left as it was" if debate_id else ""
        return CliError(f"interrupted{what}", exit_code=EXIT_INTERRUPTED)
    if isinstance(exc, httpx2.TransportError | OSError):
        reason = str(exc) or type(exc).__name__
        if debate_id is None:
            return CliError(
                f"cannot reach mcp-debate at {plan.url} ({reason})",
                exit_code=EXIT_UNREACHABLE,
                hint=START_HINT,
            )
        return CliError(
            f"lost the connection to mcp-debate at {plan.url} during debate {debate_id} ({reason})",
            exit_code=EXIT_UNREACHABLE,
            hint=driver.resume_hint if driver else "",
        )
    if isinstance(exc, MCPError):
        return CliError(
            f"{plan.url} did not answer as an MCP server: {exc}",
            exit_code=EXIT_UNREACHABLE,
            hint=f"is it mcp-debate's MCP endpoint? ({DEFAULT_URL} by default)",
        )
    return CliError(
        f"unexpected failure: {type(exc).__name__}: {exc}",
        hint="" if plan.verbose else "run again with --verbose for the traceback",
    )


def _report(error: CliError) -> None:
    for line in error.lines():
        print(line, file=sys.stderr)  # noqa: T201
