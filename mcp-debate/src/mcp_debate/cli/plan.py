"""From flags and an optional debate file to one checked plan: what to create, where, what to export.

A debate file holds create_debate's own arguments (``name``, ``topic``, ``participants``, ``rules``,
``max_rounds``, ``summarizer``, ``protocol``, budgets...), in YAML or JSON; a participant may also be
written as a spec string.
Flags override the file. The arguments are checked here with the tool's own model, so a mistake is
reported before anything is started, each problem naming its field.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mcp_debate.cli.errors import UsageError, problem_lines
from mcp_debate.cli.participants import DEMO_TOPIC, demo_participants, parse_participant
from mcp_debate.orchestration.creation import CreateDebateArgs
from mcp_shared.validation import describe_validation_error

NAME_LENGTH = 80


@dataclass(frozen=True, slots=True)
class LocalOptions:
    """``--local``: where the in-process services keep debates and which ports they take (0: free)."""

    database: Path | None
    llm_port: int
    debate_port: int


@dataclass(frozen=True, slots=True)
class RunPlan:
    debate: dict[str, Any] | None
    """create_debate's arguments; None when an existing debate is resumed."""
    resume: str | None
    url: str
    export_format: str | None
    """None: no export."""
    output: str | None
    """As typed: a trailing slash makes it a folder even before it exists."""
    summarize: bool
    plain: bool
    verbose: bool
    local: LocalOptions | None


def build_plan(args: argparse.Namespace) -> RunPlan:
    _check_combinations(args)
    local = LocalOptions(args.database, args.llm_port, args.debate_port) if args.local else None
    return RunPlan(
        debate=None if args.resume else debate_arguments(args),
        resume=args.resume,
        url=mcp_endpoint(args.url),
        export_format=None if args.no_export else args.format,
        output=args.output,
        summarize=args.summarize,
        plain=args.plain,
        verbose=args.verbose,
        local=local,
    )


def mcp_endpoint(url: str) -> str:
    """The MCP endpoint, whether ``url`` names the service's base URL or the endpoint itself."""
    url = url.rstrip("/")
    return url if url.endswith("/mcp") else f"{url}/mcp"


def debate_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """create_debate's arguments from the file and the flags, checked with the tool's own model."""
    debate = load_debate_file(args.file) if args.file else {}
    if args.participants:
        debate["participants"] = [parse_participant(spec, args.model) for spec in args.participants]
    elif "participants" in debate:
        debate["participants"] = _file_participants(debate["participants"], args.model)
    else:
        debate["participants"] = demo_participants(args.model)
    if args.topic is not None:
        debate["topic"] = args.topic
    debate.setdefault("topic", DEMO_TOPIC)
    if args.name is not None:
        debate["name"] = args.name
    if not debate.get("name") and isinstance(debate["topic"], str):
        debate["name"] = _title(debate["topic"])
    if args.rounds is not None:
        debate["max_rounds"] = args.rounds
    if args.rules:
        debate["rules"] = args.rules
    _protocol_arguments(debate, args)
    if args.temperature is not None:
        for participant in debate["participants"]:
            if isinstance(participant, dict) and isinstance(participant.get("llm_config"), dict):
                participant["llm_config"]["temperature"] = args.temperature
    _check(debate, args.file)
    return debate


def _protocol_arguments(debate: dict[str, Any], args: argparse.Namespace) -> None:
    """--protocol, --judge, --moderator, --stop-on-consensus and the budgets, over the file's values."""
    if args.protocol is not None:
        debate["protocol"] = args.protocol
    if args.stop_on_consensus:
        debate["stop_on_consensus"] = True
    if args.stance_check:
        debate["stance_check"] = True
    if args.budget is not None:
        debate["budget_usd"] = args.budget
    if args.budget_tokens is not None:
        debate["budget_tokens"] = args.budget_tokens
    for role, spec in (("judge", args.judge), ("moderator", args.moderator)):
        if spec is not None and isinstance(debate["participants"], list):
            debate["participants"].append({**parse_participant(spec, args.model), "role": role})


def load_debate_file(path: Path) -> dict[str, Any]:
    """A YAML or JSON mapping (a ``.json`` file is read as JSON, anything else as YAML, which JSON is too)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read the debate file {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{path} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except yaml.YAMLError as exc:
        raise UsageError(f"{path} is not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(data, dict):
        raise UsageError(
            f"{path} must hold a mapping of create_debate's arguments (topic, participants, ...)",
            hint="see the example in examples/debate.yaml",
        )
    return data


def _file_participants(entries: Any, default_target: str) -> Any:
    """Spec strings in a file's participant list become participants; anything else is left to the check."""
    if not isinstance(entries, list):
        return entries
    return [parse_participant(e, default_target) if isinstance(e, str) else e for e in entries]


def _title(topic: str) -> str:
    topic = " ".join(topic.split())
    return topic if len(topic) <= NAME_LENGTH else topic[: NAME_LENGTH - 1].rstrip() + "…"


def _check(debate: dict[str, Any], source: Path | None) -> None:
    try:
        CreateDebateArgs.model_validate(debate)
    except ValidationError as exc:
        error = describe_validation_error(exc, subject="debate")
        names = [str(p.get("name", "?")) if isinstance(p, dict) else "?" for p in debate["participants"]]
        raise UsageError(
            "invalid debate" + (f" in {source}" if source else ""),
            details=problem_lines(error, names),
        ) from None


def _check_combinations(args: argparse.Namespace) -> None:
    if not args.local:
        local_only = (
            ("--database", args.database),
            ("--llm-port", args.llm_port),
            ("--debate-port", args.debate_port),
        )
        for flag, value in local_only:
            if value:
                raise UsageError(f"{flag} only applies with --local")
    if args.resume:
        given = [
            flag
            for flag, value in (
                ("--file", args.file),
                ("--topic", args.topic),
                ("--name", args.name),
                ("--participant", args.participants),
                ("--rounds", args.rounds),
                ("--rule", args.rules),
                ("--temperature", args.temperature),
                ("--protocol", args.protocol),
                ("--judge", args.judge),
                ("--moderator", args.moderator),
                ("--budget", args.budget),
                ("--budget-tokens", args.budget_tokens),
                ("--stop-on-consensus", args.stop_on_consensus or None),
                ("--stance-check", args.stance_check or None),
            )
            if value is not None
        ]
        if given:
            raise UsageError(
                f"--resume continues an existing debate as it was created; drop {', '.join(given)}"
            )
        if args.local and args.database is None:
            raise UsageError(
                "--resume with --local needs --database: a temporary database does not outlive its run"
            )
    for flag, port in (("--llm-port", args.llm_port), ("--debate-port", args.debate_port)):
        if not 0 <= port <= 65535:
            raise UsageError(f"{flag} {port} is not a port number")
