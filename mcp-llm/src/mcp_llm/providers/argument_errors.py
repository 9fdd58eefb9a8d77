"""A vendor SDK refusing its arguments before anything is sent, mapped once for every adapter.

SDKs check what they are given on the way out: google-genai raises ``ValueError`` for a model name
with ``?``, ``&`` or ``..`` and for a conversation with no turn left once system messages are taken
out; other SDKs raise ``TypeError`` or ``ValueError`` for values they cannot encode. Those are the
caller's input, not a fault of the service, so they answer ``invalid_request`` rather than
``internal``. The same exceptions raised anywhere else (this package's own code, pydantic, the
standard library) stay bugs: only one raised inside a vendor SDK's own code is mapped.

``LLMProvider`` (``base.py``) applies ``guard`` to every adapter's vendor-facing methods.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from types import TracebackType
from typing import Any, TypeVar

from mcp_shared.errors import ProviderBadRequestError

SDK_PACKAGES = frozenset({"openai", "anthropic", "google", "httpx2"})
"""Top-level packages of the SDKs the adapters call (an adapter on a new SDK adds its package here)."""
Method = TypeVar("Method", bound=Callable[..., Any])


def raised_by_vendor(exc: BaseException) -> bool:
    """Whether ``exc`` is an argument error raised by a vendor SDK's own code (its innermost frame)."""
    if not isinstance(exc, ValueError | TypeError):
        return False
    tb: TracebackType | None = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    module = str(tb.tb_frame.f_globals.get("__name__", ""))
    return module.partition(".")[0] in SDK_PACKAGES


def refused_arguments(exc: BaseException, provider: str, model: str | None) -> ProviderBadRequestError:
    return ProviderBadRequestError(
        f"{provider} refused the request before sending it: {exc}",
        provider=provider,
        model=model,
        original_error=exc,
    )


def _model_of(args: tuple[Any, ...]) -> str | None:
    """The model a call is about: a request's ``model``, a model name passed first, or none (listing)."""
    if not args:
        return None
    first = args[0]
    return first if isinstance(first, str) else getattr(first, "model", None)


def guard(method: Method) -> Method:
    """Wrap an adapter method (coroutine or async generator): SDK argument errors become ``invalid_request``.

    Anything else (a plain function) is returned as it is.
    """
    if getattr(method, "_argument_guard", False):
        return method
    if inspect.isasyncgenfunction(method):

        @functools.wraps(method)
        async def stream(self: Any, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            try:
                async with aclosing(method(self, *args, **kwargs)) as items:
                    async for item in items:
                        yield item
            except (ValueError, TypeError) as exc:
                if not raised_by_vendor(exc):
                    raise
                raise refused_arguments(exc, self.key, _model_of(args)) from exc

        wrapped: Any = stream
    elif inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return await method(self, *args, **kwargs)
            except (ValueError, TypeError) as exc:
                if not raised_by_vendor(exc):
                    raise
                raise refused_arguments(exc, self.key, _model_of(args)) from exc

        wrapped = call
    else:
        return method
    wrapped._argument_guard = True
    return wrapped  # type: ignore[no-any-return]
