"""Hand-offs to staff: the queue, taking over a conversation, replies, closing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mpp.console.models import HandoffClaim, HandoffMessage
from mpp.models import Handoff

__all__ = [
    "HandoffError",
    "QueueItem",
    "close_handoff",
    "handoff_queue",
    "record_message",
    "relay_incoming",
    "take_handoff",
]


class HandoffError(ValueError):
    """A hand-off action was refused (message in Indonesian)."""


@dataclass(frozen=True)
class QueueItem:
    """One open hand-off as the queue shows it."""

    handoff: Handoff
    taken_by: str | None


def handoff_queue(db: Session, status: str = "open") -> list[QueueItem]:
    """Hand-offs with this status, oldest first, with who took each."""
    rows = db.execute(
        select(Handoff, HandoffClaim.staff_email)
        .outerjoin(HandoffClaim, HandoffClaim.handoff_id == Handoff.id)
        .where(Handoff.status == status)
        .order_by(Handoff.created_at, Handoff.id)
    ).all()
    return [QueueItem(h, email) for h, email in rows]


def _get_open(db: Session, handoff_id: int) -> Handoff:
    h = db.get(Handoff, handoff_id)
    if h is None:
        raise HandoffError("Permintaan tidak ditemukan.")
    if h.status != "open":
        raise HandoffError("Percakapan ini sudah ditutup.")
    return h


def take_handoff(db: Session, handoff_id: int, actor: str) -> Handoff:
    """Take over: from now on the resident's messages come to the console, not to the assistant."""
    h = _get_open(db, handoff_id)
    claim = db.get(HandoffClaim, handoff_id)
    if claim is None:
        db.add(HandoffClaim(handoff_id=handoff_id, staff_email=actor))
    else:
        claim.staff_email = actor
    return h


def record_message(
    db: Session, handoff: Handoff, direction: str, text: str, actor: str | None = None, *, delivered: bool = True
) -> HandoffMessage:
    """Add a message to the conversation thread."""
    msg = HandoffMessage(
        handoff_id=handoff.id,
        sender=handoff.sender,
        direction=direction,
        text=text[:4000],
        staff_email=actor,
        delivered=delivered,
    )
    db.add(msg)
    db.flush()
    return msg


def close_handoff(db: Session, handoff_id: int, actor: str) -> Handoff:
    """Close it: the conversation returns to the assistant."""
    h = _get_open(db, handoff_id)
    h.status = "closed"
    h.closed_at = dt.datetime.now(dt.timezone.utc)
    claim = db.get(HandoffClaim, handoff_id)
    if claim is not None:
        db.delete(claim)
    return h


def relay_incoming(db: Session, sender: str, text: str) -> list[str] | None:
    """Store a resident's message in a taken-over thread.

    Returns None when the assistant should answer, else the staff replies that could not be pushed
    to the resident's channel yet (web chat), which go back as the answer to this message.
    """
    h = db.scalar(
        select(Handoff)
        .join(HandoffClaim, HandoffClaim.handoff_id == Handoff.id)
        .where(Handoff.sender == sender, Handoff.status == "open")
        .order_by(Handoff.id.desc())
        .limit(1)
    )
    if h is None:
        return None
    record_message(db, h, "in", text)
    h.last_message = text[:1000]
    return pending_replies(db, h.id)


def pending_replies(db: Session, handoff_id: int) -> list[str]:
    """Staff replies not yet delivered (marked delivered now)."""
    waiting = list(
        db.scalars(
            select(HandoffMessage)
            .where(
                HandoffMessage.handoff_id == handoff_id,
                HandoffMessage.direction == "out",
                HandoffMessage.delivered.is_(False),
            )
            .order_by(HandoffMessage.id)
        )
    )
    for m in waiting:
        m.delivered = True
    return [m.text for m in waiting]
