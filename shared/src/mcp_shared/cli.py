"""What both command lines share: ``--version``, a default subcommand, and bad settings as one line each.

A mistyped setting (``MCP_PORT=abc``, ``QUOTAS='{bad'``) is the most common way a first start fails;
the user should read which setting is wrong and why, not a traceback of the settings library.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from pydantic import ValidationError
from pydantic_settings import SettingsError

from mcp_shared.redaction import redact
from mcp_shared.validation import field_path

EXIT_USAGE = 2
"""Exit code of a wrong flag or setting, as argparse uses for a wrong flag."""

_TOP_LEVEL = frozenset({"-h", "--help", "-V", "--version"})
_FIELD_IN_SETTINGS_ERROR = re.compile(r'field "([^"]+)"')

T = TypeVar("T")


def add_version(parser: argparse.ArgumentParser, version: str) -> None:
    """``-V``/``--version``: print ``<prog> <version>`` and exit."""
    parser.add_argument("-V", "--version", action="version", version=f"{parser.prog} {version}")


def with_default_command(argv: Sequence[str], commands: Sequence[str], default: str) -> list[str]:
    """``prog [--options]`` means ``prog <default> [--options]``; help and version stay top-level."""
    args = list(argv)
    if not args or (args[0] not in commands and args[0] not in _TOP_LEVEL):
        args.insert(0, default)
    return args


def setting_problems(
    exc: ValidationError | SettingsError, flags: Mapping[str, str] | None = None
) -> list[str]:
    """One ``invalid setting NAME: problem`` per problem; values are never echoed (they may be keys).

    ``flags`` maps a field given on the command line to its flag (``{"mcp_port": "--port"}``), so the
    problem names what the user typed.
    """
    if isinstance(exc, SettingsError):  # a JSON-valued setting that is not JSON
        found = _FIELD_IN_SETTINGS_ERROR.search(str(exc))
        name = found.group(1).upper() if found else "(unknown)"
        cause = exc.__cause__
        if isinstance(cause, json.JSONDecodeError):
            reason = f"not valid JSON ({cause.msg} at column {cause.colno})"
        else:
            reason = str(cause or exc)
        return [redact(f"invalid setting {name}: {reason}")]
    lines = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = error["loc"]
        field = str(loc[0]) if loc else ""
        if flags and field in flags:
            name = flags[field]
        else:
            name = f"setting {field.upper()}" if field else "settings"
        inner = f" ({field_path(loc[1:])})" if len(loc) > 1 else ""
        problem = error["msg"].removeprefix("Value error, ")
        lines.append(redact(f"invalid {name}{inner}: {problem}"))
    return lines


def load_settings(
    factory: Callable[..., T], prog: str, flags: Mapping[str, str] | None = None, **overrides: object
) -> T:
    """``factory(**overrides)``, or one ``<prog>: invalid ...`` line per problem and exit 2.

    ``flags`` maps fields to the flags that can set them; a problem with a value given by flag names the flag.
    """
    given = {field: flag for field, flag in (flags or {}).items() if field in overrides}
    try:
        return factory(**overrides)
    except (ValidationError, SettingsError) as exc:
        for line in setting_problems(exc, given):
            print(f"{prog}: {line}", file=sys.stderr)  # noqa: T201
        raise SystemExit(EXIT_USAGE) from None
