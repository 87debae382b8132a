"""Inviting a resident to the SKM survey when staff check a booking in or complete it."""

from __future__ import annotations

import logging
from typing import Any

from channels.chat import ChatService
from channels.rasa_client import RasaUnavailableError
from channels.schemas import Button, OutMessage

__all__ = ["RATING_INTENT", "invite_rating"]

log = logging.getLogger(__name__)
# The intent the rating rules answer; the booking code travels as an entity no typed text can carry.
RATING_INTENT = "give_rating"


def _out(raw: dict[str, Any]) -> OutMessage | None:
    buttons = [
        Button(title=str(b.get("title", "")), payload=str(b["payload"]))
        for b in raw.get("buttons") or []
        if isinstance(b, dict) and b.get("payload")
    ]
    text = str(raw.get("text") or "")
    return OutMessage(text=text, buttons=buttons) if text or buttons else None


async def invite_rating(chat: ChatService, sender: str, booking_code: str) -> list[OutMessage]:
    """Start (or resume) the survey for a booking in this resident's conversation; the caller delivers.

    Returns no messages when the booking was already rated (a second invitation stays silent) or
    when Rasa cannot be reached (the invitation is a courtesy, never an error for the staff action).
    """
    try:
        raw = await chat.rasa.trigger_intent(sender, RATING_INTENT, {"skm_booking": booking_code})
    except RasaUnavailableError as exc:
        log.warning("rating invitation failed", extra={"error": str(exc)})
        return []
    out = [m for m in (_out(r) for r in raw) if m is not None]
    chat.buttons.offer(sender, [b.payload for m in out for b in m.buttons])
    log.info("rating invited", extra={"messages": len(out)})
    return out
