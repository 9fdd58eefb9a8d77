"""A crash point for tests, off unless its environment variable is set (never in a deployment).

``MCP_DEBATE_CRASH_BEFORE_COMMIT=1`` makes the process SIGKILL itself after a turn's answer came back
from mcp-llm and before the turn is committed: the one moment a crash throws away an answer that was
already paid for. The fault tests use it to prove the resumed turn gets that answer from mcp-llm's
idempotency store instead of a second provider call. It is read from the environment on purpose, not
from the settings, so no configuration file can turn it on by accident.
"""

from __future__ import annotations

import os
import signal

CRASH_BEFORE_COMMIT = "MCP_DEBATE_CRASH_BEFORE_COMMIT"


def crash_before_commit() -> None:
    if os.environ.get(CRASH_BEFORE_COMMIT) == "1":
        os.kill(os.getpid(), signal.SIGKILL)
