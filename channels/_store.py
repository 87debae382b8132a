"""Durable channel state on the SQL database (sync; callers run it in a worker thread)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from channels._events import InboundEvent
from channels.models import ChannelDedupe, ChannelInbox, ChannelUser

__all__ = ["ChannelStore", "InboxItem", "UserState", "utcnow"]


def utcnow() -> dt.datetime:
    """Now, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class InboxItem:
    """A stored inbound message waiting to be answered."""

    id: int
    event: InboundEvent


@dataclass(frozen=True)
class UserState:
    """What deliveries need to know about a resident's chat."""

    last_inbound_at: dt.datetime | None
    blocked: bool


class ChannelStore:
    """Inbox, dedupe fallback and channel users."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)

    def _session(self) -> Session:
        return self._sessions()

    # Inbox
    def inbox_add(
        self, event: InboundEvent, status: str = "pending", dedupe_key: str | None = None, ttl_s: int = 0
    ) -> int | None:
        """Persist an inbound message and the sender's last inbound time; return its id.

        With `dedupe_key`, the key is claimed in the same transaction and None means "seen already".
        """
        try:
            return self._inbox_add(event, status, dedupe_key, ttl_s)
        except IntegrityError:  # a concurrent duplicate, or two first messages of a new resident, raced
            return self._inbox_add(event, status, dedupe_key, ttl_s)

    def _inbox_add(self, event: InboundEvent, status: str, dedupe_key: str | None, ttl_s: int) -> int | None:
        now = utcnow()
        with self._session() as s, s.begin():
            if dedupe_key is not None:
                seen = s.get(ChannelDedupe, dedupe_key)
                if seen is not None and (_aware(seen.expires_at) or now) > now:
                    return None
                if seen is None:
                    s.add(ChannelDedupe(key=dedupe_key, expires_at=now + dt.timedelta(seconds=ttl_s)))
                else:
                    seen.expires_at = now + dt.timedelta(seconds=ttl_s)
            row = ChannelInbox(
                channel=event.channel,
                sender=event.sender,
                external_id=event.external_id,
                event=event.to_json(),
                status=status,
                received_at=now,
                processed_at=now if status != "pending" else None,
            )
            s.add(row)
            if event.kind != "flood":
                self._touch(s, event.sender, event.channel, now)
            s.flush()
            return int(row.id)

    def inbox_claim(self, item_id: int, lease_s: float = 120.0) -> bool:
        """Mark an inbox row as being processed by us; False when another worker has it or it is done."""
        now = utcnow()
        with self._session() as s, s.begin():
            res = s.execute(
                update(ChannelInbox)
                .where(
                    ChannelInbox.id == item_id,
                    or_(
                        ChannelInbox.status == "pending",
                        and_(ChannelInbox.status == "processing", ChannelInbox.locked_until < now),
                    ),
                )
                .values(
                    status="processing",
                    locked_until=now + dt.timedelta(seconds=lease_s),
                    attempts=ChannelInbox.attempts + 1,
                )
            )
            return bool(res.rowcount)  # type: ignore[attr-defined]

    def inbox_done(self, item_id: int, status: str = "done") -> None:
        """Mark an inbox row as answered (or failed for good)."""
        with self._session() as s, s.begin():
            s.execute(
                update(ChannelInbox)
                .where(ChannelInbox.id == item_id)
                .values(status=status, processed_at=utcnow(), locked_until=None)
            )

    def inbox_release(self, item_id: int) -> None:
        """Give a row back to the queue after a failed attempt."""
        with self._session() as s, s.begin():
            s.execute(
                update(ChannelInbox).where(ChannelInbox.id == item_id).values(status="pending", locked_until=None)
            )

    def inbox_pending(self, older_than_s: float = 0.0, limit: int = 1000) -> list[InboxItem]:
        """Rows not answered yet (oldest first), e.g. left over by a process that died."""
        now = utcnow()
        cutoff = now - dt.timedelta(seconds=older_than_s)
        with self._session() as s:
            rows = s.execute(
                select(ChannelInbox.id, ChannelInbox.event)
                .where(
                    or_(
                        and_(ChannelInbox.status == "pending", ChannelInbox.received_at <= cutoff),
                        and_(ChannelInbox.status == "processing", ChannelInbox.locked_until < now),
                    )
                )
                .order_by(ChannelInbox.id)
                .limit(limit)
            ).all()
        return [InboxItem(int(r.id), InboundEvent.from_json(r.event)) for r in rows]

    def prune(self, keep_days: float = 7.0) -> None:
        """Forget answered inbox rows and expired dedupe keys."""
        now = utcnow()
        with self._session() as s, s.begin():
            s.execute(
                delete(ChannelInbox).where(
                    ChannelInbox.status != "pending",
                    ChannelInbox.status != "processing",
                    ChannelInbox.received_at < now - dt.timedelta(days=keep_days),
                )
            )
            s.execute(delete(ChannelDedupe).where(ChannelDedupe.expires_at < now))

    # Dedupe fallback
    def dedupe_claim(self, key: str, ttl_s: int) -> bool:
        """True the first time `key` is seen within `ttl_s` seconds."""
        now = utcnow()
        expires = now + dt.timedelta(seconds=ttl_s)
        try:
            with self._session() as s, s.begin():
                s.add(ChannelDedupe(key=key, expires_at=expires))
            return True
        except IntegrityError:
            pass
        with self._session() as s, s.begin():
            res = s.execute(
                update(ChannelDedupe)
                .where(ChannelDedupe.key == key, ChannelDedupe.expires_at < now)
                .values(expires_at=expires)
            )
            return bool(res.rowcount)  # type: ignore[attr-defined]

    def dedupe_release(self, key: str) -> None:
        """Forget a key (the message could not be stored, so the platform's retry must get through)."""
        with self._session() as s, s.begin():
            s.execute(delete(ChannelDedupe).where(ChannelDedupe.key == key))

    # Channel users
    @staticmethod
    def _touch(s: Session, sender: str, channel: str, now: dt.datetime) -> None:
        user = s.get(ChannelUser, sender)
        if user is None:
            s.add(ChannelUser(sender=sender, channel=channel, last_inbound_at=now, blocked=False))
        else:
            user.last_inbound_at = now
            user.blocked = False  # writing to us means they unblocked us
            user.blocked_reason = ""

    def user(self, sender: str) -> UserState:
        """The resident's window and blocked flag (unknown residents: never wrote, not blocked)."""
        with self._session() as s:
            user = s.get(ChannelUser, sender)
            if user is None:
                return UserState(None, False)
            return UserState(_aware(user.last_inbound_at), bool(user.blocked))

    def set_blocked(self, sender: str, channel: str, blocked: bool, reason: str = "") -> None:
        """Record that the resident blocked (or unblocked) us."""
        with self._session() as s, s.begin():
            user = s.get(ChannelUser, sender)
            if user is None:
                s.add(ChannelUser(sender=sender, channel=channel, blocked=blocked, blocked_reason=reason[:64]))
            else:
                user.blocked = blocked
                user.blocked_reason = reason[:64]

    def close_window(self, sender: str) -> None:
        """Twilio said the 24 h window is closed (error 63016): forget the last inbound time."""
        with self._session() as s, s.begin():
            s.execute(update(ChannelUser).where(ChannelUser.sender == sender).values(last_inbound_at=None))
