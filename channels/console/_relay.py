"""Takeover: while staff hold a hand-off, the resident's messages go to the console thread, not to Rasa."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError

from channels.console._state import ConsoleState
from channels.schemas import OutMessage
from mpp.console.handoffs import relay_incoming
from mpp.db import session_scope

__all__ = ["console_relay"]

log = logging.getLogger(__name__)


def console_relay(app: FastAPI) -> Callable[[str, str, str], Awaitable[list[OutMessage] | None]]:
    """The ChatService hook: None lets the assistant answer; a list is the reply (waiting staff messages)."""

    def _relay_sync(sender: str, text: str) -> list[str] | None:
        state = getattr(app.state, "console", None)
        if state is None:
            state = app.state.console = ConsoleState.create(getattr(app.state, "console_settings", None))
        with session_scope(state.engine) as db:
            return relay_incoming(db, sender, text)

    async def relay(sender: str, text: str, channel: str) -> list[OutMessage] | None:
        try:
            pending = await asyncio.to_thread(_relay_sync, sender, text)
        except SQLAlchemyError as exc:
            # The assistant answering is better than the resident getting nothing.
            log.warning("takeover check failed", extra={"error": str(exc)[:200], "channel": channel})
            return None
        if pending is None:
            return None
        log.info("message relayed to staff", extra={"channel": channel, "waiting_replies": len(pending)})
        return [OutMessage(text=t) for t in pending]

    return relay
