"""Ctrl-C while a debate runs: the first press stops it cleanly, a second one at once.

The handler only sets a flag; every MCP call races against it (:meth:`Interrupts.race`), so the command
decides what stopping means (drop the call in flight, pause the debate, export what exists) instead of a
``KeyboardInterrupt`` landing wherever the code happens to be.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")


class Interrupted(Exception):
    """Ctrl-C arrived while a call was in flight."""


class Interrupts:
    """Ctrl-C stops the debate cleanly (the call in flight is dropped, the debate paused, what exists
    exported); a second Ctrl-C abandons even that."""

    def __init__(self) -> None:
        self.pressed = asyncio.Event()
        self._main: asyncio.Task[Any] | None = None
        self._installed = False

    def install(self) -> None:
        self._main = asyncio.current_task()
        try:
            asyncio.get_running_loop().add_signal_handler(signal.SIGINT, self._on_sigint)
            self._installed = True
        except (NotImplementedError, RuntimeError):  # no signal handlers here (Windows, a thread)
            pass

    def uninstall(self) -> None:
        if self._installed:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)
            self._installed = False

    def _on_sigint(self) -> None:
        if self.pressed.is_set() and self._main is not None:
            self._main.cancel()
        self.pressed.set()

    async def race(self, work: Awaitable[T]) -> T:
        """``work``'s result, or :class:`Interrupted` as soon as Ctrl-C is pressed."""
        if self.pressed.is_set():
            raise Interrupted
        task = asyncio.ensure_future(work)
        waiter = asyncio.ensure_future(self.pressed.wait())
        try:
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            raise Interrupted
        return task.result()
