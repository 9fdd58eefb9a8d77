"""The identifiers callers choose, each defined once and checked at the edge.

A provider or model name, an organization or a conversation id travels far from the request that
carried it: into cache and quota keys in Redis, resource URIs, metric labels, log lines and the
URL paths of vendor APIs. Each type here bounds its length and character set, so nothing a caller
makes up (a 4 MB name, a path with ``..``, a query string, a control character) gets that far.
Request models of both services use these types instead of a bare ``str``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

MODEL_NAME_MAX = 200


def _pattern(extra: str) -> str:
    """Letters, digits and ``extra`` (written with ``-`` last, so the class reads the same in JS)."""
    return f"[A-Za-z0-9{extra}]+"


def bounds(extra: str, max_length: int, description: str) -> Any:
    """Length bounds, checked first by pydantic's core (an oversized value is refused before anything
    else runs), and the character set in the JSON schema for clients that check ahead."""
    return Field(
        min_length=1,
        max_length=max_length,
        description=description,
        json_schema_extra={"pattern": f"^{_pattern(extra)}$"},
    )


def charset(kind: str, extra: str) -> AfterValidator:
    """Only letters, digits and ``extra``, and never ``..`` (a path step in a vendor URL or a URI)."""
    allowed = re.compile(_pattern(extra))
    shown = " ".join(extra)

    def check(value: str) -> str:
        if allowed.fullmatch(value) is None or ".." in value:
            raise PydanticCustomError(
                "identifier",
                "{kind} may hold only letters, digits and {shown} (no spaces, no '..')",
                {"kind": kind, "shown": shown},
            )
        return value

    return AfterValidator(check)


ProviderName = Annotated[
    str,
    bounds("._-", 64, "Provider key (openai, claude, gemini, llama, grok, qwen, openai_compatible, mock)."),
    charset("a provider name", "._-"),
]
ModelName = Annotated[
    str,
    bounds("._:/@+-", MODEL_NAME_MAX, "Model name as the provider knows it (gpt-5-mini, llama3.1:8b)."),
    charset("a model name", "._:/@+-"),
]
EpisodeId = Annotated[
    str,
    bounds("._:@+-", 256, "Caller-chosen id grouping several calls (one debate, one conversation)."),
    charset("an episode id", "._:@+-"),
]
ExperimentName = Annotated[str, bounds("_-", 64, "Experiment name."), charset("an experiment name", "_-")]
OrganizationId = Annotated[
    str, bounds("._@+-", 128, "Organization id."), charset("an organization id", "._@+-")
]
ConversationId = Annotated[
    str,
    bounds("._:@+-", 256, "Conversation id; readable at llm://conversations/{id}."),
    charset("a conversation id", "._:@+-"),
]
IdempotencyKey = Annotated[
    str,
    bounds(
        "._:@+_-",
        255,
        "Idempotency key: a repeat of the same request with this key within the window gets the first "
        "answer again, without a second provider call.",
    ),
    charset("an idempotency key", "._:@+_-"),
]
