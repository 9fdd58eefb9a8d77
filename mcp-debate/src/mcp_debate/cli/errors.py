"""What can make ``mcp-debate run`` stop early, each with the exit code a script can act on.

Every failure reaches the user as one :class:`CliError`: a one-line message, optional detail lines
(each problem of a refused debate, say) and a hint saying what to do next. Nothing prints a traceback
unless ``--verbose`` asks for it.
"""

from __future__ import annotations

from typing import Any

from mcp_shared.errors import ErrorType, ServiceError

EXIT_OK = 0
EXIT_FAILED = 1
"""The debate could not go on: an LLM error, a failed or cancelled debate, a service error."""
EXIT_USAGE = 2
"""The input is wrong: flags, a participant spec, a debate file, or a debate the service refused."""
EXIT_UNREACHABLE = 3
"""mcp-debate could not be reached (or the connection to it was lost)."""
EXIT_INTERRUPTED = 130
"""Ctrl-C, as shells report SIGINT."""


class CliError(Exception):
    """A failure to report to the user and exit with ``exit_code``."""

    def __init__(
        self, message: str, *, exit_code: int = EXIT_FAILED, details: list[str] | None = None, hint: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.details = details or []
        self.hint = hint

    def lines(self) -> list[str]:
        """The report: ``error: ...``, the details indented, then the hint."""
        out = [f"error: {self.message}", *(f"  {line}" for line in self.details)]
        if self.hint:
            out.append(f"hint: {self.hint}")
        return out


class UsageError(CliError):
    """Wrong input on the command line or in a debate file."""

    def __init__(self, message: str, *, details: list[str] | None = None, hint: str = "") -> None:
        super().__init__(message, exit_code=EXIT_USAGE, details=details, hint=hint)


def problem_lines(error: ServiceError, participant_names: list[str]) -> list[str]:
    """Each field-level problem on its own line, naming the participant of a ``participants[i]`` field."""
    problems: Any = error.details.get("problems")
    if not isinstance(problems, list):
        return []
    lines = []
    for problem in problems:
        field = str(problem.get("field", ""))
        lines.append(f"{_name_field(field, participant_names)}: {problem.get('problem', '')}")
    return lines


def _name_field(field: str, names: list[str]) -> str:
    if field.startswith("participants[") and "]" in field:
        index = field[len("participants[") : field.index("]")]
        if index.isdigit() and int(index) < len(names):
            return f"participant '{names[int(index)]}' ({field})"
    return field


def exit_code_for(error: ServiceError) -> int:
    """Input the service refused is a usage error; anything else a failure of the run."""
    return EXIT_USAGE if error.error_type is ErrorType.INVALID_REQUEST else EXIT_FAILED
