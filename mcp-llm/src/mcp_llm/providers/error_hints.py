"""Small readers every adapter's error table uses: Retry-After headers and context-length wording."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

_CONTEXT_LENGTH = re.compile(
    r"context[ _-]?(length|window|size)|maximum context|too many tokens|prompt is too long|"
    r"exceeds? (the )?(model'?s? )?(maximum|available) (context|input)|input (token count|is too long)|"
    r"exceed_context_size",
    re.IGNORECASE,
)


def looks_like_context_length(*texts: object) -> bool:
    """True when a vendor's error code or message says the prompt does not fit the window."""
    return any(isinstance(t, str) and _CONTEXT_LENGTH.search(t) for t in texts)


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait, from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    if not headers:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def vendor_message(body: object, fallback: str) -> str:
    """The human message inside a vendor's JSON error body, else ``fallback``."""
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping):
            message = inner.get("message")
            if isinstance(message, str) and message:
                return message
        elif isinstance(inner, str) and inner:
            return inner
    return fallback
