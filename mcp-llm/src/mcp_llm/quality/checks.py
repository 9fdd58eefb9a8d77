"""Checks of an answer's text: refusal wording, and whether a requested JSON answer parses and validates.

Both are cheap on the hot path: the refusal check reads only the start of the answer against a short
fixed list, and JSON is parsed only when the caller asked for it.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from mcp_shared.errors import InvalidRequestError
from mcp_shared.models import ResponseFormat

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

REFUSAL_PHRASES = (
    "i can't help with",
    "i cannot help with",
    "i can't assist with",
    "i cannot assist with",
    "i'm sorry, but i can't",
    "i'm sorry, but i cannot",
    "i am sorry, but i cannot",
    "i'm unable to help",
    "i am unable to help",
    "i'm not able to help",
    "i won't be able to help",
    "i can't comply",
    "i cannot comply",
    "i must decline",
    "as an ai language model, i cannot",
)
"""How assistants commonly word a refusal (lower case, straight apostrophes). Matched only in the
first ``REFUSAL_WINDOW`` characters: a refusal comes first, while an answer that quotes such a phrase
further on is not one. A heuristic: a refusal worded otherwise is missed."""
REFUSAL_WINDOW = 200
_REFUSAL = re.compile("|".join(re.escape(p) for p in REFUSAL_PHRASES))
VALIDATORS_KEPT = 256
"""Compiled schemas kept (least recently used go first): callers tend to send one schema many times,
and checking a schema against the metaschema costs milliseconds."""

JsonOutcome = Literal["valid", "unparsable", "schema_mismatch"]


def is_refusal(text: str) -> bool:
    """True when one of ``REFUSAL_PHRASES`` is in the first ``REFUSAL_WINDOW`` characters."""
    head = text[:REFUSAL_WINDOW].lower().replace("\u2019", "'")
    return _REFUSAL.search(head) is not None


def json_validator(wanted: ResponseFormat | None) -> Validator | None:
    """The validator of the caller's schema, checked before any provider is called (a schema that is
    not valid JSON Schema is the caller's error, named by field); None when no schema was given."""
    schema = wanted.schema_dict() if wanted is not None else None
    if schema is None:
        return None
    from jsonschema.exceptions import SchemaError  # imported only once a caller sends a schema

    try:
        return _compiled(json.dumps(schema, sort_keys=True))
    except SchemaError as exc:
        raise InvalidRequestError(
            f"response_format.json_schema.schema is not a valid JSON Schema: {exc.message[:200]}",
            details={"field": "response_format"},
        ) from None


@lru_cache(maxsize=VALIDATORS_KEPT)
def _compiled(schema_json: str) -> Validator:
    """A checked schema's validator, by the schema's canonical JSON (a bad schema is not kept)."""
    from jsonschema import Draft202012Validator

    schema = json.loads(schema_json)
    Draft202012Validator.check_schema(schema)
    validator: Validator = Draft202012Validator(schema)
    return validator


def json_outcome(text: str, validator: Validator | None) -> JsonOutcome:
    """Whether a JSON answer parses (``json_object``) and, given a schema, follows it."""
    try:
        value: Any = json.loads(text)
    except ValueError:
        return "unparsable"
    if validator is None:
        return "valid" if isinstance(value, dict) else "schema_mismatch"
    return "valid" if validator.is_valid(value) else "schema_mismatch"
