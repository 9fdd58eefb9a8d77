"""Participants from the command line: ``NAME:PROVIDER[/MODEL][:STANCE]`` specs and the built-in demo trio.

The spec packs a whole participant into one shell word, so a debate fits on one line::

    Pro:openai/gpt-5-mini:for a ban       name Pro, provider openai, model gpt-5-mini, stance "for a ban"
    Con:claude                            the provider's default model, no stance
    Judge::weighs both sides              the default target (--model, mock unless set)
    Local:ollama/qwen3:0.6b:              a model with a ':' tag needs the stance field, even empty
    Alice                                 the default target, no stance

The name ends at the first ``:``. A target never contains a space, a stance usually does, so the stance
starts after the last ``:`` of the first word after the name (or the ``:`` right after that word).
That keeps model tags (``qwen3:0.6b``) and stances with colons (``in favour: mostly``) both writable.
"""

from __future__ import annotations

from typing import Any

from mcp_debate.cli.errors import UsageError

SPEC_FORMAT = "NAME:PROVIDER[/MODEL][:STANCE]"
DEFAULT_TARGET = "mock"

DEMO_TOPIC = "Should cities ban private cars from their centres?"
DEMO_PARTICIPANTS: tuple[tuple[str, str], ...] = (
    ("Advocate", "argues for the motion: the benefits outweigh the costs"),
    ("Skeptic", "argues against the motion: the costs and unintended effects are too high"),
    ("Pragmatist", "weighs both sides and proposes a workable middle ground"),
)
"""Three distinct stances that make sense for any yes-or-no motion."""


def parse_target(target: str, *, where: str) -> dict[str, Any]:
    """``provider[/model]`` as an ``llm_config`` fragment."""
    provider, _, model = target.partition("/")
    if not provider or (target.count("/") and not model):
        raise UsageError(
            f"{where}: '{target}' is not a PROVIDER[/MODEL] target",
            hint="for example mock, mock/mock-1, openai/gpt-5-mini, claude, ollama/qwen3:0.6b",
        )
    return {"provider": provider, **({"model": model} if model else {})}


def parse_participant(spec: str, default_target: str = DEFAULT_TARGET) -> dict[str, Any]:
    """One ``--participant`` spec as a create_debate participant."""
    where = f"invalid participant spec '{spec}'"
    name, _, rest = spec.partition(":")
    name = name.strip()
    if not name:
        raise UsageError(
            f"{where}: it has no name",
            hint=f"write {SPEC_FORMAT}, for example 'Pro:mock/mock-1:for the motion'",
        )
    rest = rest.strip()
    token = rest.split(None, 1)[0] if rest else ""
    if ":" in token:
        cut = token.rfind(":")
    else:  # "mock : for it": the colon after the target stands apart
        after = rest[len(token) :].lstrip()
        cut = len(rest) - len(after) if after.startswith(":") else -1
    target, stance = (rest[:cut], rest[cut + 1 :]) if cut >= 0 else (rest, "")
    if any(c.isspace() for c in target.strip()):
        raise UsageError(
            f"{where}: the target '{target.strip()}' contains a space",
            hint=f"write {SPEC_FORMAT}: the stance goes after a second ':', as in '{name}::{target.strip()}'",
        )
    target = target.strip() or default_target
    participant: dict[str, Any] = {"name": name, "llm_config": parse_target(target, where=where)}
    if stance.strip():
        participant["stance"] = stance.strip()
    return participant


def demo_participants(default_target: str = DEFAULT_TARGET) -> list[dict[str, Any]]:
    """The demo trio, every one on ``default_target``."""
    config = parse_target(default_target, where="invalid --model")
    return [
        {"name": name, "stance": stance, "llm_config": dict(config)} for name, stance in DEMO_PARTICIPANTS
    ]
