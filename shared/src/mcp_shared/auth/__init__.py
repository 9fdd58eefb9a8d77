"""Bearer-key authentication shared by both services: keys, the HTTP middleware, and whose call it is."""

from mcp_shared.auth.http import HttpAuth
from mcp_shared.auth.keygen import keygen
from mcp_shared.auth.keys import KeyEntry, KeyRing, generate_key, hash_key, parse_entry
from mcp_shared.auth.middleware import ORGANIZATION_SCOPE_KEY, AuthMiddleware, CallerAuthenticationError
from mcp_shared.auth.organizations import DEFAULT_ORGANIZATION, OrganizationPolicy

__all__ = [
    "DEFAULT_ORGANIZATION",
    "ORGANIZATION_SCOPE_KEY",
    "AuthMiddleware",
    "CallerAuthenticationError",
    "HttpAuth",
    "KeyEntry",
    "KeyRing",
    "OrganizationPolicy",
    "generate_key",
    "hash_key",
    "keygen",
    "parse_entry",
]
