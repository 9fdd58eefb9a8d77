"""Command line: ``mcp-llm`` (streamable HTTP + plain HTTP on MCP_PORT), ``mcp-llm stdio``, or
``mcp-llm keygen --organization NAME`` (a new API key and the ``API_KEYS`` entry that admits it)."""

from __future__ import annotations

import argparse

from mcp_llm.service import LLMService
from mcp_llm.settings import LLMSettings
from mcp_shared.auth import keygen
from mcp_shared.logging import configure_logging
from mcp_shared.server import run_http, run_stdio


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="mcp-llm", description="MCP gateway to many LLM providers.")
    parser.add_argument(
        "transport",
        nargs="?",
        choices=["http", "stdio", "keygen"],
        default="http",
        help="http (default): MCP at /mcp plus plain HTTP routes; stdio: MCP over stdin/stdout; "
        "keygen: print a new API key for --organization and its API_KEYS entry",
    )
    parser.add_argument("--organization", help="keygen: the organization the key belongs to")
    parser.add_argument("--host", help="interface to listen on (MCP_HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (MCP_PORT)")
    args = parser.parse_args(argv)
    if args.transport == "keygen":
        keygen(parser, args.organization)
        return

    overrides = {k: v for k, v in (("mcp_host", args.host), ("mcp_port", args.port)) if v is not None}
    settings = LLMSettings(**overrides)
    configure_logging(settings.log_level, settings.log_format)
    service = LLMService(settings)
    if args.transport == "stdio":
        run_stdio(service)
    else:
        run_http(service, settings)


if __name__ == "__main__":
    main()
