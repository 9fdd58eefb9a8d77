"""``mcp-debate run``: a debate from flags or a file, run against the services with each turn streamed live.

Layout: ``options`` (the flags), ``participants`` (participant specs, the demo), ``plan`` (flags and file
to checked create_debate arguments), ``driver`` (the debate over MCP), ``interrupts`` (Ctrl-C),
``display`` and ``live`` (plain lines and the terminal view), ``local`` (``--local``: both services in
this process), ``errors`` (what stops a run, and its exit code), ``command`` (all of it together).
"""

from mcp_debate.cli.command import run_command
from mcp_debate.cli.options import add_run_arguments

__all__ = ["add_run_arguments", "run_command"]
