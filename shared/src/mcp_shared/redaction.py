"""Scrubbing credentials out of any text that may reach a log line or a caller.

Two layers: the exact values of the secrets this process was configured with (registered at
start-up), and patterns that match the shapes of well-known provider keys and bearer tokens,
so a key echoed back by a vendor's error message is caught even if it is not ours.
"""

from __future__ import annotations

import re
import threading

_PATTERNS = [
    re.compile(r"sk-(?:proj-|ant-(?:api\d+-)?|or-v1-)?[A-Za-z0-9_\-*]{12,}"),
    re.compile(r"AIza[0-9A-Za-z_\-]{20,}"),
    re.compile(r"xai-[A-Za-z0-9_\-]{12,}"),
    re.compile(r"mcpk_[A-Za-z0-9_\-]{12,}"),  # the services' own API keys
    re.compile(r"sha256:[0-9a-fA-F]{64}"),  # configured API key hashes
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-~+/=]{8,}"),
    # A credential after a header or field name; for Authorization the scheme word (Bearer, Basic) stays,
    # and neither it nor a <placeholder> counts as the secret, so help text ("Bearer <key>") survives.
    re.compile(
        r"(?i)((?:api[_-]?key|x-api-key|x-goog-api-key|authorization)[\"']?\s*[:=]\s*[\"']?"
        r"(?:(?:bearer|basic|token)\s+)?)(?!(?:bearer|basic|token)\b|<)[^\s\"',}]{6,}"
    ),
]
_REPLACEMENT = "[REDACTED]"
_known_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a configured secret so any later occurrence of it is scrubbed."""
    if value and len(value) >= 6:
        with _lock:
            _known_secrets.add(value)


def redact(text: str) -> str:
    """Return ``text`` with every known secret and key-shaped token replaced."""
    if not text:
        return text
    for secret in tuple(_known_secrets):
        if secret in text:
            text = text.replace(secret, _REPLACEMENT)
    for pattern in _PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + _REPLACEMENT, text)
        else:
            text = pattern.sub(_REPLACEMENT, text)
    return text
