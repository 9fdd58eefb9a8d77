"""The flags of ``mcp-debate run``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from mcp_debate.cli.connection import API_KEY_VARIABLE
from mcp_debate.cli.participants import DEFAULT_TARGET, SPEC_FORMAT

DEFAULT_URL = "http://localhost:5002/mcp"
URL_VARIABLE = "MCP_DEBATE_URL"
EXPORT_FORMATS = ("markdown", "json", "html", "text")
PROTOCOLS = ("rounds", "vote", "judged")
EXPORT_FOLDER = Path("data")
"""Where exports go without ``--output``: next to the services' own data (``data/debates.db``), not among
the files of wherever the command runs."""

DESCRIPTION = """\
Create a debate, run it turn by turn while each reply streams in, and export it.

Against running services (make run):   mcp-debate run --topic "Is remote work here to stay?"
Everything in this process:            mcp-debate run --local
From a file:                           mcp-debate run --file debate.yaml
"""

EPILOG = f"""\
participants: {SPEC_FORMAT}, repeatable, in speaking order, e.g.
  -p "Pro:openai/gpt-5-mini:for the motion" -p "Con:claude:against it" -p "Judge::weighs both sides"
  an empty or missing target uses --model; with no participants, three demo participants debate on --model.
  --judge and --moderator take the same specs: mcp-debate run --protocol vote -p A:openai -p B:claude
  -p C:gemini --judge Judge:openai ends with the verdict, the vote and who dissented.

exit codes: 0 completed, 1 the debate failed, 2 invalid input, 3 mcp-debate unreachable, 130 interrupted.
"""


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """Every flag of ``run``, grouped as ``--help`` shows them."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = DESCRIPTION
    parser.epilog = EPILOG

    debate = parser.add_argument_group("the debate (flags override the file)")
    debate.add_argument(
        "-f",
        "--file",
        type=Path,
        metavar="PATH",
        help="YAML or JSON file with create_debate's arguments (see README)",
    )
    debate.add_argument("-t", "--topic", help="the question or motion (default: a demo topic)")
    debate.add_argument("-n", "--name", help="a title (default: the topic)")
    debate.add_argument(
        "-p",
        "--participant",
        dest="participants",
        action="append",
        metavar="SPEC",
        help=f"{SPEC_FORMAT}; repeat for each participant",
    )
    debate.add_argument(
        "-m",
        "--model",
        default=DEFAULT_TARGET,
        metavar="PROVIDER[/MODEL]",
        help=f"target of participants that name none, and of the demo ones (default: {DEFAULT_TARGET})",
    )
    debate.add_argument(
        "-r",
        "--rounds",
        type=int,
        metavar="N",
        help="rounds, a round being one turn of everyone (default: 3)",
    )
    debate.add_argument(
        "--rule", dest="rules", action="append", metavar="TEXT", help="a rule every participant is given"
    )
    debate.add_argument(
        "--temperature", type=float, metavar="T", help="sampling temperature of every participant"
    )
    debate.add_argument(
        "--resume", metavar="DEBATE_ID", help="continue an existing debate (paused, failed or unfinished)"
    )

    protocol = parser.add_argument_group("protocol and verdict")
    protocol.add_argument(
        "--protocol",
        choices=PROTOCOLS,
        help="rounds (the plain debate), vote (answer alone, revise, majority decides) or judged "
        "(a judge decides; needs --judge) (default: rounds)",
    )
    protocol.add_argument(
        "--judge", metavar="SPEC", help=f"a judge, {SPEC_FORMAT}: the verdict (vote: breaks ties)"
    )
    protocol.add_argument(
        "--moderator", metavar="SPEC", help=f"a moderator, {SPEC_FORMAT}: may stop the debate after a round"
    )
    protocol.add_argument(
        "--stop-on-consensus", action="store_true", help="stop once every debater's final answer agrees"
    )
    protocol.add_argument(
        "--stance-check",
        action="store_true",
        help="check each stanced turn for arguing its stance (one short call; retried once if not)",
    )
    protocol.add_argument(
        "--budget", type=float, metavar="USD", help="most the debate may cost (list prices)"
    )
    protocol.add_argument("--budget-tokens", type=int, metavar="N", help="most tokens the debate may use")

    output = parser.add_argument_group("output")
    output.add_argument(
        "--format", choices=EXPORT_FORMATS, default="markdown", help="export format (default: markdown)"
    )
    output.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help=f"export file, or a folder for <debate id>.<ext> (default: {EXPORT_FOLDER}/, made if missing)",
    )
    output.add_argument("--no-export", action="store_true", help="do not export at the end")
    output.add_argument(
        "--summarize", action="store_true", help="summarize the debate at the end (shown and exported)"
    )
    output.add_argument(
        "--plain", action="store_true", help="plain lines even on a terminal (no live display)"
    )
    output.add_argument("-v", "--verbose", action="store_true", help="service logs and tracebacks on stderr")

    where = parser.add_argument_group("where the services are")
    where.add_argument(
        "--url",
        default=os.environ.get(URL_VARIABLE) or DEFAULT_URL,
        help=f"mcp-debate's MCP endpoint (${URL_VARIABLE}, default {DEFAULT_URL}); "
        f"a key it requires comes from ${API_KEY_VARIABLE}",
    )
    where.add_argument(
        "--local",
        action="store_true",
        help="start mcp-llm and mcp-debate in this process for this debate (no servers needed)",
    )
    where.add_argument(
        "--database",
        type=Path,
        metavar="PATH",
        help="with --local: keep debates in this SQLite file (default: a temporary one)",
    )
    for flag, service in (("--llm-port", "mcp-llm"), ("--debate-port", "mcp-debate")):
        where.add_argument(
            flag,
            type=int,
            default=0,
            metavar="N",
            help=f"with --local: {service}'s port (default: a free one)",
        )
