"""Anthropic's prompt cache as the fake bills it, following the documented rules.

A ``cache_control`` marker on a block caches the prefix through it (tools, system, then message blocks
in order) when that prefix reaches the model's minimum length; a later request whose prefix through
some block matches a cached prefix, looking back up to 20 blocks from each of its markers, reads it.
``usage.input_tokens`` is then what came after the last cached or written prefix, as Anthropic reports
it. Tokens are counted as the fake's own tokenizer: four characters a token.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

LOOKBACK = 20
MINIMUMS = {
    "claude-sonnet-4-6": 1024,
    "claude-sonnet-5-5": 1024,
    "claude-haiku-4-5": 4096,
    "claude-opus-4-8": 4096,
}


def tokens(text: str) -> int:
    return len(text) // 4


def _blocks(body: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(role, text, marked) for every block of the prompt, in cache-prefix order."""
    out: list[tuple[str, str, bool]] = []
    system = body.get("system")
    if isinstance(system, str):
        out.append(("system", system, False))
    elif isinstance(system, list):
        out += [("system", b.get("text", ""), "cache_control" in b) for b in system]
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            out.append((message["role"], content, False))
        else:
            out += [(message["role"], b.get("text", ""), "cache_control" in b) for b in content]
    return out


class PromptCacheBook:
    """The prefixes the fake has cached (no expiry: tests run well inside the five-minute lifetime)."""

    def __init__(self, bill_unmarked: bool = False) -> None:
        self.bill_unmarked = bill_unmarked
        """Also bill requests without markers by their length (else they get the fake's fixed usage)."""
        self._cached: set[str] = set()
        self._lock = threading.Lock()
        self.bills: list[tuple[str, dict[str, int]]] = []
        """(system text, usage) of every request with markers, in arrival order."""

    def bill(self, body: dict[str, Any]) -> dict[str, int] | None:
        """``input_tokens``/``cache_read``/``cache_write`` for a request with markers, else None."""
        blocks = _blocks(body)
        marks = [i for i, (_, _, marked) in enumerate(blocks) if marked]
        if not marks and not self.bill_unmarked:
            return None
        minimum = MINIMUMS.get(body.get("model", ""), 1024)
        digests, prefix_tokens = [], []
        digest, running = hashlib.sha256(), 0
        for role, text, _ in blocks:
            digest.update(f"{role}\0{text}\0".encode())
            digests.append(digest.copy().hexdigest())
            running += tokens(text)
            prefix_tokens.append(running)
        total = running
        with self._lock:
            read_upto = -1
            for mark in marks:
                for i in range(mark, max(-1, mark - LOOKBACK), -1):
                    if digests[i] in self._cached:
                        read_upto = max(read_upto, i)
                        break
            read = prefix_tokens[read_upto] if read_upto >= 0 else 0
            written_upto = read_upto
            for mark in marks:
                if prefix_tokens[mark] >= minimum:
                    if digests[mark] not in self._cached:
                        self._cached.add(digests[mark])
                    written_upto = max(written_upto, mark)
            write = prefix_tokens[written_upto] - read if written_upto > read_upto else 0
            billed = {"input_tokens": total - read - write, "cache_read": read, "cache_write": write}
            system = "".join(text for role, text, _ in blocks if role == "system")
            self.bills.append((system, billed))
        return billed
