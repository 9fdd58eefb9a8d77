"""Command line: ``mcp-llm [http]`` (streamable HTTP + plain HTTP on MCP_PORT), ``mcp-llm stdio``, or
``mcp-llm keygen --organization NAME`` (a new API key and the ``API_KEYS`` entry that admits it)."""

from __future__ import annotations

import argparse
import sys

from mcp_llm import __version__
from mcp_llm.experiments.config import ExperimentsFileError
from mcp_llm.service import LLMService
from mcp_llm.settings import LLMSettings
from mcp_shared.auth import keygen
from mcp_shared.cli import add_version, load_settings, with_default_command
from mcp_shared.logging import configure_logging
from mcp_shared.server import run_http, run_stdio

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
    try:
        service = LLMService(settings)
    except ExperimentsFileError as exc:
        sys.exit(f"mcp-llm: {exc}")
    if args.command == "stdio":
        run_stdio(service)
    else:
        run_http(service, settings)


if __name__ == "__main__":
    main()
