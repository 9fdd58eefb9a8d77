"""Turning pydantic validation failures into errors that name the field and the problem."""

from __future__ import annotations

from pydantic import ValidationError

from mcp_shared.errors import InvalidRequestError

_MALFORMED_BODY = {"json_invalid", "json_type"}


def field_path(loc: tuple[int | str, ...]) -> str:
    """``('messages', 0, 'role')`` -> ``messages[0].role``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(body)"


def describe_validation_error(exc: ValidationError, *, subject: str) -> InvalidRequestError:
    """One ``invalid_request`` error listing every field at fault, without echoing values back.

    A document that is not JSON, or not an object, is a 400; a well-formed document with wrong
    fields is a 422.
    """
    problems = []
    malformed = False
    for err in exc.errors(include_url=False, include_input=False):
        if err["type"] in _MALFORMED_BODY:
            malformed = True
            problems.append({"field": "(body)", "problem": f"not valid JSON: {err['msg']}"})
        elif err["type"] == "model_type" and not err["loc"]:
            malformed = True
            problems.append({"field": "(body)", "problem": "must be a JSON object"})
        elif err["type"] == "extra_forbidden":
            problems.append({"field": field_path(err["loc"]), "problem": "unknown field"})
        else:
            problems.append({"field": field_path(err["loc"]), "problem": err["msg"]})
    summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
    return InvalidRequestError(
        f"invalid {subject}: {summary}",
        status=400 if malformed else 422,
        details={"field": problems[0]["field"] if problems else None, "problems": problems},
    )
