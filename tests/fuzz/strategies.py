"""Inputs for the fuzz suite: arguments generated from each tool's own input schema, the same with one
field replaced by something hostile, and a hand-made corpus of values that broke servers before."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

HOSTILE_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",  # a lone surrogate: not encodable as UTF-8
    "../../../../etc/passwd",
    "..",
    "a?b&c=d",
    "%00%2e%2e%2f",
    '=HYPERLINK("http://example.invalid","x")',
    "+cmd|' /C calc'!A0",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "mock-slow-99999999999999999999",
    "mock-fail-server-error",
    "llm://providers/../../x",
    "debates://%00",
    "\u202e\u0000\uffff",
    "x" * 300,
    "é" * 5000,
    "\n".join(["Round 1 of 3"] * 50),
]
HOSTILE_NUMBERS: list[Any] = [
    -1,
    0,
    2**31,
    2**53 + 1,
    2**63,
    2**64,
    -(2**63) - 1,
    10**30,
    1e308,
    -1e308,
    5e-324,
    0.5,
    float("nan"),
    float("inf"),
    float("-inf"),
]

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=50)
    | st.sampled_from(HOSTILE_STRINGS)
    | st.sampled_from(HOSTILE_NUMBERS)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=12,
)


def schema_arguments(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Valid-by-schema arguments, and the same with one field made hostile or one unknown field added."""
    valid = from_schema(schema)
    properties = sorted((schema.get("properties") or {}).keys()) or ["x"]

    @st.composite
    def mutated(draw: st.DrawFn) -> dict[str, Any]:
        base = draw(valid)
        base = dict(base) if isinstance(base, dict) else {}
        name = draw(st.sampled_from([*properties, "unknown_field"]))
        base[name] = draw(json_values)
        return base

    return valid | mutated()


def encode(value: Any) -> bytes:
    """JSON as a careless client sends it: NaN and Infinity literals included, lone surrogates escaped."""
    return json.dumps(value, allow_nan=True).encode()


def utf8_encodable(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return False
    return True


def nested(depth: int, opener: str = "[", closer: str = "]") -> bytes:
    return (opener * depth + closer * depth).encode()


def nested_objects(depth: int) -> bytes:
    return ('{"a":' * depth + "1" + "}" * depth).encode()


def raw_bodies() -> list[tuple[str, bytes]]:
    """Request bodies that are not what any tool expects: (label, bytes)."""
    user = '[{"role": "user", "content": "hi"}]'
    return [
        ("empty", b""),
        ("truncated", b"{"),
        ("array", b"[]"),
        ("null", b"null"),
        ("string", b'"hello"'),
        ("number overflow", b"1e400"),
        ("NaN literal", b'{"max_tokens": NaN, "messages": ' + user.encode() + b"}"),
        ("Infinity literal", b'{"temperature": Infinity, "messages": ' + user.encode() + b"}"),
        ("huge float", b'{"max_tokens": 1e999, "messages": ' + user.encode() + b"}"),
        ("int 2^63", b'{"max_tokens": 9223372036854775808, "limit": 9223372036854775808}'),
        ("int 2^64", b'{"offset": 18446744073709551616, "after_seq": 18446744073709551616}'),
        ("deep arrays", nested(10_000)),
        ("deep objects", nested_objects(10_000)),
        ("deep messages", b'{"messages": ' + nested(5_000) + b"}"),
        ("bad utf-8", b'{"messages": [{"role": "user", "content": "\xff\xfe\xc3\x28"}]}'),
        ("raw NUL", b'{"messages": [{"role": "user", "content": "a\x00b"}]}'),
        ("escaped NUL", b'{"provider": "mock\\u0000", "messages": ' + user.encode() + b"}"),
        ("lone surrogate", b'{"model": "\\ud800", "messages": ' + user.encode() + b"}"),
        ("duplicate keys", b'{"provider": "mock", "provider": "openai", "messages": ' + user.encode() + b"}"),
        ("utf-16", '{"messages": [{"role": "user", "content": "hi"}]}'.encode("utf-16")),
        ("bom", b"\xef\xbb\xbf" + b'{"messages": ' + user.encode() + b"}"),
        ("long model", b'{"model": "' + b"m" * 1_000_000 + b'", "messages": ' + user.encode() + b"}"),
        ("long key", b'{"' + b"k" * 100_000 + b'": 1}'),
        ("many keys", ("{" + ",".join(f'"k{i}": {i}' for i in range(20_000)) + "}").encode()),
        (
            "many messages",
            (
                '{"provider": "mock", "messages": ['
                + ",".join(['{"role": "user", "content": "x"}'] * 20_000)
                + "]}"
            ).encode(),
        ),
        ("form encoded", b"provider=mock&model=mock-1"),
        ("binary", bytes(range(256)) * 4),
    ]
