"""Where a ``/v1`` model name goes; a name no provider claims does not exist here.

A model the gateway cannot place is ``404 model_not_found``, as OpenAI answers it (the OpenAI API has no
``provider`` field to ask for), so the SDKs raise their ``NotFoundError``.
"""

from __future__ import annotations

from mcp_llm.gateway.pipeline import Gateway
from mcp_llm.routing.resolution import Target
from mcp_shared.errors import InvalidRequestError, ModelNotFoundError


def place(gateway: Gateway, model: str) -> Target:
    try:
        return gateway.resolver.resolve(None, model)
    except InvalidRequestError:
        raise ModelNotFoundError(
            f"model '{model}' does not exist on this gateway: name it provider/model "
            "(GET /v1/models lists them)",
            model=model,
            details={"field": "model"},
        ) from None
