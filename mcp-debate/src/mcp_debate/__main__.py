"""Command line: ``mcp-debate`` (or ``mcp-debate serve``): MCP over streamable HTTP plus plain HTTP on
MCP_PORT; ``mcp-debate stdio``: MCP over stdin/stdout; ``mcp-debate run``: run a debate in the terminal;
``mcp-debate keygen --organization NAME``: a new API key and the ``API_KEYS`` entry that admits it;
``mcp-debate evaluate CONFIG``: methods (one model, self-consistency, debates) over a dataset, compared."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import anyio

from mcp_debate import __version__
from mcp_debate.cli import add_run_arguments, run_command
from mcp_debate.cli.errors import CliError
from mcp_debate.cli.local import embedded_llm
from mcp_debate.evaluation.command import add_evaluate_arguments, evaluate_command
from mcp_debate.service import DebateService
from mcp_debate.settings import DebateSettings
from mcp_shared.auth import keygen
from mcp_shared.cli import add_version, load_settings, with_default_command
from mcp_shared.logging import configure_logging
from mcp_shared.server import run_http, run_stdio, serve_stdio


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mcp-debate", description="MCP service running debates between LLM participants through mcp-llm."
    )
    add_version(parser, __version__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser("serve", help="serve MCP at /mcp and the plain HTTP routes (default)")
    serve.add_argument("--host", help="interface to listen on (MCP_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (MCP_PORT, default 5002)")
    stdio = commands.add_parser("stdio", help="serve MCP over stdin/stdout")
    stdio.add_argument(
        "--embedded-llm",
        action="store_true",
        help="serve mcp-llm in this process too (loopback, embedded defaults) instead of LLM_SERVICE_URL",
    )
    for sub in (serve, stdio):
        sub.add_argument("--database", type=Path, help="SQLite file (DATABASE_PATH)")
        sub.add_argument("--llm-url", help="mcp-llm's URL (LLM_SERVICE_URL)")
    add_run_arguments(commands.add_parser("run", help="run a debate in the terminal, streaming each turn"))
    add_evaluate_arguments(
        commands.add_parser("evaluate", help="compare one model, self-consistency and debates on a dataset")
    )
    keygen_parser = commands.add_parser(
        "keygen", help="print a new API key for --organization and the API_KEYS entry that admits it"
    )
    keygen_parser.add_argument("--organization", help="the organization the key belongs to")
    keygen_parser.set_defaults(subparser=keygen_parser)
    return parser


COMMANDS = ("serve", "stdio", "run", "keygen", "evaluate")
FLAGS = {
    "mcp_host": "--host",
    "mcp_port": "--port",
    "database_path": "--database",
    "llm_service_url": "--llm-url",
}


def main(argv: list[str] | None = None) -> None:
    # bare `mcp-debate [--options]` serves HTTP
    args = _parser().parse_args(
        with_default_command(sys.argv[1:] if argv is None else argv, COMMANDS, "serve")
    )
    if args.command == "run":
        sys.exit(run_command(args))
    if args.command == "evaluate":
        sys.exit(evaluate_command(args))
    if args.command == "keygen":
        keygen(args.subparser, args.organization)
        return
    overrides = {
        key: value
        for key, value in (
            ("mcp_host", getattr(args, "host", None)),
            ("mcp_port", getattr(args, "port", None)),
            ("database_path", args.database),
            ("llm_service_url", args.llm_url),
        )
        if value is not None
    }
    settings = load_settings(DebateSettings, "mcp-debate", FLAGS, **overrides)
    configure_logging(settings.log_level, settings.log_format)
    if args.command == "stdio" and args.embedded_llm:
        try:
            anyio.run(_stdio_with_embedded_llm, settings)
        except CliError as error:  # the embedded mcp-llm could not start (a bad setting of its own, say)
            for line in (error.message, *error.details):
                print(f"mcp-debate: {line}", file=sys.stderr)  # noqa: T201
            sys.exit(error.exit_code)
    elif args.command == "stdio":
        run_stdio(DebateService(settings))
    else:
        run_http(DebateService(settings), settings)


async def _stdio_with_embedded_llm(settings: DebateSettings) -> None:
    """mcp-debate over stdio, with its own mcp-llm on a loopback port in the same event loop."""
    async with embedded_llm() as llm_url:
        await serve_stdio(DebateService(settings.model_copy(update={"llm_service_url": llm_url})))


if __name__ == "__main__":
    main()
