"""Durable channel state on the SQL database (sync; callers run it in a worker thread)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Engine, and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from channels._events import InboundEvent
from channels.models import ChannelDedupe, ChannelInbox, ChannelState, ChannelUser

__all__ = ["Accepted", "ChannelStore", "FloodLimit", "InboxItem", "UserState", "utcnow"]


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
    """A stored inbound message waiting to be answered (`retry`: its stored reply waits to be re-sent)."""

    id: int
    event: InboundEvent
    retry: bool = False


@dataclass(frozen=True)
class FloodLimit:
    """At most `burst` answered messages per resident in any `window_s` seconds; one notice per `notice_s`."""

    burst: int
    window_s: float
    notice_s: float = 60.0

    @classmethod
    def per_minute(cls, rate: float, burst: float) -> FloodLimit:
        """The window in which a token bucket of `rate`/min and `burst` tokens lets `burst` messages through."""
        return cls(max(1, int(burst)), 60.0 * burst / rate if rate > 0 else float("inf"))


@dataclass(frozen=True)
class Accepted:
    """A stored inbound message: its id, pending or flood, and whether to tell the resident to slow down."""

    id: int
    status: str
    notify: bool = False


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
        """Persist an inbound message and the sender's last inbound time; return its id (None: seen already)."""
        accepted = self.inbox_accept(event, dedupe_key, ttl_s, status=status)
        return None if accepted is None else accepted.id

    def inbox_accept(
        self,
        event: InboundEvent,
        dedupe_key: str | None = None,
        ttl_s: int = 0,
        flood: FloodLimit | None = None,
        *,
        status: str = "pending",
    ) -> Accepted | None:
        """Store an inbound message unless its (channel, external id) is in the inbox already (None).

        With `dedupe_key` the key is also claimed in the same transaction; with `flood` the resident's
        recent messages in the inbox (shared by every gateway process) decide whether this one is answered.
        """
        try:
            return self._inbox_accept(event, dedupe_key, ttl_s, flood, status)
        except IntegrityError:  # a concurrent duplicate, or two first messages of a new resident, raced
            return self._inbox_accept(event, dedupe_key, ttl_s, flood, status)

    def _inbox_accept(
        self, event: InboundEvent, dedupe_key: str | None, ttl_s: int, flood: FloodLimit | None, status: str
    ) -> Accepted | None:
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
            stored = s.execute(
                select(ChannelInbox.id).where(
                    ChannelInbox.channel == event.channel, ChannelInbox.external_id == event.external_id
                )
            ).first()
            if stored is not None:
                return None
            notify = False
            if flood is not None and status == "pending":
                status, notify = self._flood_check(s, event.sender, flood, now)
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
            return Accepted(int(row.id), status, notify)

    @staticmethod
    def _flood_check(s: Session, sender: str, flood: FloodLimit, now: dt.datetime) -> tuple[str, bool]:
        """("pending" or "flood", whether to send the slow-down notice) from the resident's recent inbox rows."""

        def recent(seconds: float, *where: ColumnElement[bool]) -> int:
            since = now - dt.timedelta(seconds=min(seconds, 7 * 86400.0))
            query = select(func.count()).where(ChannelInbox.sender == sender, ChannelInbox.received_at > since, *where)
            return int(s.execute(query).scalar() or 0)

        if recent(flood.window_s, ChannelInbox.status != "flood") < flood.burst:
            return "pending", False
        return "flood", recent(flood.notice_s, ChannelInbox.status == "flood") == 0

    @staticmethod
    def _claim(s: Session, item_id: int, lease_s: float, now: dt.datetime, *when: ColumnElement[bool]) -> bool:
        """Lease a row to this process (status processing, one more attempt) when `when` holds."""
        res = s.execute(
            update(ChannelInbox)
            .where(ChannelInbox.id == item_id, *when)
            .values(
                status="processing",
                locked_until=now + dt.timedelta(seconds=lease_s),
                attempts=ChannelInbox.attempts + 1,
            )
        )
        return bool(res.rowcount)  # type: ignore[attr-defined]

    def inbox_claim(self, item_id: int, lease_s: float = 120.0) -> bool:
        """Mark an inbox row as being processed by us; False when another worker has it or it is done."""
        now = utcnow()
        expired = and_(ChannelInbox.status == "processing", ChannelInbox.locked_until < now)
        with self._session() as s, s.begin():
            return self._claim(
                s, item_id, lease_s, now, ChannelInbox.reply.is_(None), or_(ChannelInbox.status == "pending", expired)
            )

    def inbox_claim_reply(self, item_id: int, lease_s: float = 120.0) -> str | None:
        """Claim a row whose stored reply is due to be re-sent; its reply JSON, or None when not ours to send."""
        now = utcnow()
        due = and_(ChannelInbox.status == "retry", ChannelInbox.retry_at <= now)
        expired = and_(ChannelInbox.status == "processing", ChannelInbox.locked_until < now)
        with self._session() as s, s.begin():
            if not self._claim(s, item_id, lease_s, now, ChannelInbox.reply.is_not(None), or_(due, expired)):
                return None
            return s.execute(select(ChannelInbox.reply).where(ChannelInbox.id == item_id)).scalar()

    def inbox_done(self, item_id: int, status: str = "done") -> None:
        """Mark an inbox row as answered (or failed for good); a stored reply is dropped."""
        with self._session() as s, s.begin():
            s.execute(
                update(ChannelInbox)
                .where(ChannelInbox.id == item_id)
                .values(status=status, processed_at=utcnow(), locked_until=None, reply=None, retry_at=None)
            )

    def inbox_retry_later(self, item_id: int, reply: str, max_attempts: int, backoff_s: float) -> bool:
        """Keep a reply the platform refused for another try after a backoff; False when out of attempts (failed)."""
        now = utcnow()
        with self._session() as s, s.begin():
            row = s.get(ChannelInbox, item_id)
            if row is None:
                return False
            attempts = int(row.attempts or 0)
            row.locked_until = None
            row.processed_at = now
            if attempts >= max_attempts:
                row.status, row.reply, row.retry_at = "failed", None, None
                return False
            delay = min(backoff_s * 2 ** max(0, attempts - 1), 3600.0)
            row.status, row.reply, row.retry_at = "retry", reply, now + dt.timedelta(seconds=delay)
            return True

    def inbox_release(self, item_id: int) -> None:
        """Give a row back to the queue after a failed attempt."""
        with self._session() as s, s.begin():
            s.execute(
                update(ChannelInbox).where(ChannelInbox.id == item_id).values(status="pending", locked_until=None)
            )

    def inbox_pending(self, older_than_s: float = 0.0, limit: int = 1000) -> list[InboxItem]:
        """Rows not answered yet (oldest first), e.g. left over by a process that died, and replies due for a retry."""
        now = utcnow()
        cutoff = now - dt.timedelta(seconds=older_than_s)
        with self._session() as s:
            rows = s.execute(
                select(ChannelInbox.id, ChannelInbox.event, ChannelInbox.reply.is_not(None).label("retry"))
                .where(
                    or_(
                        and_(ChannelInbox.status == "pending", ChannelInbox.received_at <= cutoff),
                        and_(ChannelInbox.status == "processing", ChannelInbox.locked_until < now),
                        and_(ChannelInbox.status == "retry", ChannelInbox.retry_at <= now),
                    )
                )
                .order_by(ChannelInbox.id)
                .limit(limit)
            ).all()
        return [InboxItem(int(r.id), InboundEvent.from_json(r.event), bool(r.retry)) for r in rows]

    def prune(self, keep_days: float = 7.0) -> None:
        """Forget answered inbox rows and expired dedupe keys."""
        now = utcnow()
        with self._session() as s, s.begin():
            s.execute(
                delete(ChannelInbox).where(
                    ChannelInbox.status != "pending",
                    ChannelInbox.status != "processing",
                    ChannelInbox.status != "retry",
                    ChannelInbox.received_at < now - dt.timedelta(days=keep_days),
                )
            )
            s.execute(delete(ChannelDedupe).where(ChannelDedupe.expires_at < now))
            s.execute(delete(ChannelState).where(ChannelState.expires_at < now))

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

    # Shared state (when Redis is not configured)
    def state_get(self, key: str) -> str | None:
        """The value under `key`, or None when absent or expired."""
        with self._session() as s:
            row = s.get(ChannelState, key)
            if row is None or (_aware(row.expires_at) or utcnow()) <= utcnow():
                return None
            return row.value

    def state_set(self, key: str, value: str, ttl_s: float) -> None:
        """Store `value` under `key` for `ttl_s` seconds (replacing what was there)."""
        expires = utcnow() + dt.timedelta(seconds=ttl_s)
        for attempt in range(2):
            try:
                with self._session() as s, s.begin():
                    res = s.execute(
                        update(ChannelState).where(ChannelState.key == key).values(value=value, expires_at=expires)
                    )
                    if not res.rowcount:  # type: ignore[attr-defined]
                        s.add(ChannelState(key=key, value=value, expires_at=expires))
                return
            except IntegrityError:  # another process inserted the key first: update it
                if attempt:
                    raise

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
