"""API keys: generated at random, configured only as their SHA-256, each mapped to one organization.

Both services read the same ``API_KEYS`` format, so one key can admit an organization to both.

Keys carry 256 random bits, so a plain SHA-256 is the right store (as for other bearer tokens): it
cannot be reversed or guessed, and checking a key is one hash and one dictionary lookup. Neither a
key nor its hash is ever logged or put in an error.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

KEY_PREFIX = "mcpk_"
_HASH = re.compile(r"^sha256:([0-9a-f]{64})$")


def generate_key() -> str:
    """A new random API key (shown once; only its hash is configured)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """The configured form of a key: ``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class KeyEntry:
    organization: str
    digest: str


def parse_entry(entry: str) -> KeyEntry:
    """``organization:sha256:<hex>`` -> KeyEntry; a malformed entry fails start-up without echoing it."""
    organization, _, hashed = entry.strip().partition(":")
    found = _HASH.match(hashed.strip().lower())
    if not organization or found is None:
        raise ValueError(
            "API_KEYS entries must look like 'organization:sha256:<64 hex digits>' "
            "(run 'mcp-llm keygen --organization NAME' or 'mcp-debate keygen --organization NAME' "
            "to make one)"
        )
    return KeyEntry(organization.strip(), found.group(1))


class KeyRing:
    """The configured keys; answers which organization a presented key belongs to."""

    def __init__(self, entries: list[str]) -> None:
        parsed = [parse_entry(e) for e in entries if e.strip()]
        self._by_digest = {e.digest: e.organization for e in parsed}
        self.organizations = frozenset(e.organization for e in parsed)

    def __len__(self) -> int:
        return len(self._by_digest)

    def organization_of(self, key: str) -> str | None:
        """The key's organization, or None for an unknown key."""
        return self._by_digest.get(hashlib.sha256(key.encode()).hexdigest())
