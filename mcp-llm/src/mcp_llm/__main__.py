"""Command line: ``mcp-llm [http]`` (streamable HTTP + plain HTTP on MCP_PORT), ``mcp-llm stdio``, or
``mcp-llm keygen --organization NAME`` (a new API key and the ``API_KEYS`` entry that admits it)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from mcp_llm import __version__
from mcp_llm.experiments.config import ExperimentsFileError
from mcp_llm.service import LLMService
from mcp_llm.settings import LLMSettings
from mcp_shared.auth import keygen
from mcp_shared.cli import EXIT_USAGE, add_version, load_settings, with_default_command
from mcp_shared.logging import configure_logging
from mcp_shared.server import build_http_app, run_http, run_http_workers, run_stdio

if TYPE_CHECKING:
    from starlette.applications import Starlette

COMMANDS = ("http", "serve", "stdio", "keygen")
FLAGS = {"mcp_host": "--host", "mcp_port": "--port"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mcp-llm", description="MCP gateway to many LLM providers.")
    add_version(parser, __version__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    http = commands.add_parser(
        "http",
        aliases=["serve"],
        help="serve MCP at /mcp, the plain HTTP tools and the OpenAI API on MCP_PORT (the default command)",
        description="Serve MCP at /mcp, the plain HTTP tools (/tools/{tool}) and the OpenAI API (/v1).",
    )
    http.add_argument("--host", help="interface to listen on (MCP_HOST, default 127.0.0.1)")
    http.add_argument("--port", type=int, help="port to listen on (MCP_PORT, default 5001)")
    http.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes serving the one port (default 1); more than 1 needs REDIS_URL for shared state",
    )
    commands.add_parser(
        "stdio",
        help="serve MCP over stdin/stdout (for an MCP client that starts the server itself)",
        description="Serve MCP over stdin/stdout; logs go to stderr.",
    )
    keygen_parser = commands.add_parser(
        "keygen",
        help="print a new API key for an organization and the API_KEYS entry that admits it",
        description="Print a new API key (shown only here) and the API_KEYS entry to configure.",
    )
    keygen_parser.add_argument("--organization", help="the organization the key belongs to")
    keygen_parser.set_defaults(subparser=keygen_parser)
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(with_default_command(sys.argv[1:] if argv is None else argv, COMMANDS, "http"))
    if args.command == "keygen":
        keygen(args.subparser, args.organization)
        return
    overrides = {
        field: value
        for field, value in (
            ("mcp_host", getattr(args, "host", None)),
            ("mcp_port", getattr(args, "port", None)),
        )
        if value is not None
    }
    settings = load_settings(LLMSettings, "mcp-llm", FLAGS, **overrides)
    configure_logging(settings.log_level, settings.log_format)
    workers = getattr(args, "workers", 1)
    if workers != 1:
        _serve_workers(settings, workers)
        return
    try:
        service = LLMService(settings)
    except ExperimentsFileError as exc:
        sys.exit(f"mcp-llm: {exc}")
    if args.command == "stdio":
        run_stdio(service)
    else:
        run_http(service, settings)


def _serve_workers(settings: LLMSettings, workers: int) -> None:
    """Several processes on one port; only correct when quotas, cache and conversations live in Redis."""
    if workers < 1:
        sys.exit(f"mcp-llm: --workers must be at least 1, not {workers}")
    if not settings.redis_url:
        sys.stderr.write(
            f"mcp-llm: --workers {workers} needs REDIS_URL: without Redis each process would keep its own "
            "quotas, cache and conversations\n"
        )
        sys.exit(EXIT_USAGE)
    # Each worker reads its settings from the environment: flags given here must reach it the same way.
    os.environ["MCP_HOST"], os.environ["MCP_PORT"] = settings.mcp_host, str(settings.mcp_port)
    run_http_workers("mcp_llm.__main__:http_app", settings, workers)


def http_app() -> Starlette:
    """One worker's app, built from the environment (``--workers``: uvicorn calls this in each process)."""
    settings = load_settings(LLMSettings, "mcp-llm", FLAGS)
    configure_logging(settings.log_level, settings.log_format)
    return build_http_app(LLMService(settings), settings)


if __name__ == "__main__":
    main()
