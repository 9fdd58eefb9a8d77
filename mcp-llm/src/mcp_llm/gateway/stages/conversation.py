"""Remembers each answered exchange of a conversation (``conversation_id``)."""

from __future__ import annotations

import logging
import time

from mcp_llm.gateway.attempt import Attempt, Next
from mcp_llm.gateway.conversations import ConversationStore, Exchange
from mcp_shared.errors import ServiceError

logger = logging.getLogger(__name__)


class Remember:
    """After an answer, append it to its conversation; a store that fails costs the caller nothing."""

    def __init__(self, conversations: ConversationStore) -> None:
        self.conversations = conversations

    async def handle(self, attempt: Attempt, call_next: Next) -> None:
        await call_next(attempt)
        request, response = attempt.request, attempt.response
        if request.conversation_id is None or response is None:
            return
        try:
            await self.conversations.append(
                attempt.organization,
                request.conversation_id,
                Exchange(
                    request_id=response.request_id,
                    at=time.time(),
                    organization_id=attempt.organization,
                    provider=response.provider,
                    model=response.model,
                    messages=list(request.messages),
                    content=response.content,
                    finish_reason=response.finish_reason,
                    usage=response.usage,
                    cost_usd=response.cost_usd,
                    cached=response.cached,
                ),
            )
        except ServiceError:
            logger.warning("could not record conversation exchange", exc_info=True)
