"""``keygen``: a new API key and the ``API_KEYS`` entry that admits it, for either service's command line."""

from __future__ import annotations

import argparse
import sys

from mcp_shared.auth.keys import generate_key, hash_key


def keygen(parser: argparse.ArgumentParser, organization: str | None) -> None:
    """Print a key (give it to the caller; it is shown only here) and the entry to add to API_KEYS."""
    if not organization or ":" in organization or "," in organization or organization != organization.strip():
        parser.error("keygen needs --organization NAME (without ':', ',' or surrounding spaces)")
    key = generate_key()
    sys.stdout.write(f"key:      {key}\nAPI_KEYS: {organization}:{hash_key(key)}\n")
