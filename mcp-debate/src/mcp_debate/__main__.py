"""Command line: ``mcp-debate`` (or ``mcp-debate serve``): MCP over streamable HTTP plus plain HTTP on
MCP_PORT; ``mcp-debate stdio``: MCP over stdin/stdout; ``mcp-debate run``: run a debate in the terminal."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mcp_debate.cli import add_run_arguments, run_command
from mcp_debate.service import DebateService
from mcp_debate.settings import DebateSettings
from mcp_shared.logging import configure_logging
from mcp_shared.server import run_http, run_stdio


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mcp-debate", description="MCP service running debates between LLM participants through mcp-llm."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser("serve", help="serve MCP at /mcp and the plain HTTP routes (default)")
    serve.add_argument("--host", help="interface to listen on (MCP_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (MCP_PORT, default 5002)")
    stdio = commands.add_parser("stdio", help="serve MCP over stdin/stdout")
    for sub in (serve, stdio):
        sub.add_argument("--database", type=Path, help="SQLite file (DATABASE_PATH)")
        sub.add_argument("--llm-url", help="mcp-llm's URL (LLM_SERVICE_URL)")
    add_run_arguments(commands.add_parser("run", help="run a debate in the terminal, streaming each turn"))
    return parser


COMMANDS = ("serve", "stdio", "run")


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv.insert(0, "serve")  # bare `mcp-debate [--options]` serves HTTP
    args = _parser().parse_args(argv)
    if args.command == "run":
        sys.exit(run_command(args))
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
    settings = DebateSettings(**overrides)
    configure_logging(settings.log_level, settings.log_format)
    service = DebateService(settings)
    if args.command == "stdio":
        run_stdio(service)
    else:
        run_http(service, settings)


if __name__ == "__main__":
    main()
