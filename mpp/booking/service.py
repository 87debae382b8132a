"""Booking rules over the durable store: slots, capacity, one's own bookings, staff actions, reminders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine, and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from knowledge_base.offices import Office, OfficeDirectory
from knowledge_base.schema import Service
from mpp.booking.calendar import DayCheck, check_day, slot_starts
from mpp.booking.codes import new_code
from mpp.booking.dates import WITA
from mpp.booking.models import Booking, BookingStatus, CapacityCounter, Closure

__all__ = ["BookingError", "BookingService", "Slot"]

_FINAL = (BookingStatus.CANCELLED, BookingStatus.NO_SHOW, BookingStatus.COMPLETED)


@dataclass(frozen=True)
class Slot:
    """A bookable time with the seats still free."""

    start: dt.datetime
    end: dt.datetime
    free: int


class BookingError(Exception):
    """A booking request that must not go through; `kind` picks the resident-facing text."""

    def __init__(self, kind: str, detail: str | None = None, alternatives: list[Slot] | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.detail = detail
        self.alternatives = alternatives or []


def _utc(moment: dt.datetime) -> dt.datetime:
    # SQLite hands timestamps back naive; they were written as UTC.
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def local(moment: dt.datetime) -> dt.datetime:
    """A stored timestamp in WITA."""
    return _utc(moment).astimezone(WITA)


@dataclass
class BookingService:
    """Everything the chat, the staff API and the reminder worker do with bookings."""

    directory: OfficeDirectory
    engine: Engine
    max_active: int = 2
    horizon_days: int = 30
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(WITA))
    _factory: sessionmaker[Session] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._factory = sessionmaker(bind=self.engine, expire_on_commit=False)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._factory() as session:
            try:
                yield session
                session.commit()
            except Exception:
                session.rollback()
                raise

    # -- reading ---------------------------------------------------------------------------------
    def now(self) -> dt.datetime:
        """Current time in WITA."""
        return self.clock().astimezone(WITA)

    def today(self) -> dt.date:
        """Today in WITA."""
        return self.now().date()

    def _resolve(self, office_id: str, service_id: str) -> tuple[Office, Service]:
        office = self.directory.get(office_id)
        service = self.directory.service(service_id)
        if office is None or service is None:
            raise BookingError("unknown")
        if office not in self.directory.offices_for(service):
            raise BookingError("not_offered")
        return office, service

    def _closure(self, session: Session, office_id: str, day: dt.date) -> str | None:
        row = session.execute(
            select(Closure.reason).where(
                Closure.day == day, or_(Closure.office_id == office_id, Closure.office_id.is_(None))
            )
        ).first()
        return (row[0] or "ditutup") if row else None

    def check_day(self, office_id: str, service_id: str, day: dt.date) -> DayCheck:
        """Whether that day can be booked at all (calendar, closures, horizon)."""
        office, service = self._resolve(office_id, service_id)
        with self._session() as s:
            closure = self._closure(s, office_id, day)
        return check_day(self.directory, office, service, day, self.today(), self.horizon_days, closure)

    def _used(self, session: Session, keys: list[str]) -> dict[str, int]:
        if not keys:
            return {}
        rows = session.execute(select(CapacityCounter.key, CapacityCounter.used).where(CapacityCounter.key.in_(keys)))
        return {k: int(u) for k, u in rows}

    def slots(self, office_id: str, service_id: str, day: dt.date) -> list[Slot]:
        """Slots of that day still in the future, with free seats (quota applied)."""
        office, service = self._resolve(office_id, service_id)
        check = self.check_day(office_id, service_id, day)
        if not check.ok:
            return []
        starts = [t for t in slot_starts(self.directory, office, service, day) if t > self.now()]
        step = dt.timedelta(minutes=office.slot_minutes)
        quota = self.directory.daily_quota(office, service)
        with self._session() as s:
            keys = [_slot_key(office, service.tenant, t) for t in starts]
            used = self._used(s, [*keys, _quota_key(office.id, service.id, day)])
        quota_left = None if quota is None else quota - used.get(_quota_key(office.id, service.id, day), 0)
        out = []
        for t in starts:
            free = office.counters - used.get(_slot_key(office, service.tenant, t), 0)
            if quota_left is not None:
                free = min(free, quota_left)
            out.append(Slot(t, t + step, max(0, free)))
        return out

    def free_slots(self, office_id: str, service_id: str, day: dt.date) -> list[Slot]:
        """Only the slots with a free seat."""
        return [s for s in self.slots(office_id, service_id, day) if s.free > 0]

    def next_open_days(self, office_id: str, service_id: str, after: dt.date, limit: int = 3) -> list[dt.date]:
        """The next days (from `after`) with a free slot, within the horizon."""
        out: list[dt.date] = []
        day = max(after, self.today())
        last = self.today() + dt.timedelta(days=self.horizon_days)
        while day <= last and len(out) < limit:
            if self.free_slots(office_id, service_id, day):
                out.append(day)
            day += dt.timedelta(days=1)
        return out

    def active_for(self, sender: str) -> list[Booking]:
        """The resident's bookings still to come, soonest first."""
        now = self.now().astimezone(dt.UTC)
        with self._session() as s:
            rows = s.scalars(
                select(Booking)
                .where(Booking.sender == sender, Booking.status == BookingStatus.ACTIVE, Booking.end_at > now)
                .order_by(Booking.start_at)
            )
            return list(rows)

    def get(self, code: str) -> Booking | None:
        """A booking by code (staff use: no owner check)."""
        with self._session() as s:
            return s.scalars(select(Booking).where(Booking.code == code)).first()

    def own(self, sender: str, code: str) -> Booking:
        """The resident's own booking with this code; someone else's is reported as not found."""
        b = self.get(code)
        if b is None or b.sender != sender:
            raise BookingError("not_found")
        return b

    # -- capacity --------------------------------------------------------------------------------
    def _ensure_counter(self, session: Session, key: str) -> None:
        dialect = session.get_bind().dialect.name
        ins = pg_insert if dialect == "postgresql" else sqlite_insert
        session.execute(ins(CapacityCounter).values(key=key, used=0).on_conflict_do_nothing(index_elements=["key"]))

    def _claim(self, session: Session, key: str, capacity: int) -> bool:
        self._ensure_counter(session, key)
        res = session.execute(
            update(CapacityCounter)
            .where(CapacityCounter.key == key, CapacityCounter.used < capacity)
            .values(used=CapacityCounter.used + 1)
        )
        return bool(getattr(res, "rowcount", 0) == 1)

    def _release(self, session: Session, key: str) -> None:
        session.execute(
            update(CapacityCounter)
            .where(CapacityCounter.key == key, CapacityCounter.used > 0)
            .values(used=CapacityCounter.used - 1)
        )

    def _claim_seat(self, session: Session, office: Office, service: Service, start: dt.datetime) -> None:
        day = start.astimezone(WITA).date()
        if not self._claim(session, _slot_key(office, service.tenant, start), office.counters):
            raise BookingError("slot_full")
        quota = self.directory.daily_quota(office, service)
        if quota is not None and not self._claim(session, _quota_key(office.id, service.id, day), quota):
            raise BookingError("quota_full")

    def _release_seat(self, session: Session, b: Booking) -> None:
        office = self.directory.get(b.office_id)
        if office is not None:
            self._release(session, _slot_key(office, b.tenant_id, local(b.start_at)))
        self._release(session, _quota_key(b.office_id, b.service_id, b.day))

    def _validate_start(self, office: Office, service: Service, start: dt.datetime) -> dt.datetime:
        start = start.astimezone(WITA) if start.tzinfo else start.replace(tzinfo=WITA)
        day = start.date()
        check = self.check_day(office.id, service.id, day)
        if not check.ok:
            raise BookingError(check.reason or "closed", check.detail)
        if start not in slot_starts(self.directory, office, service, day):
            raise BookingError("bad_slot")
        if start <= self.now():
            raise BookingError("past")
        return start

    def _alternatives(self, office_id: str, service_id: str, day: dt.date, after: dt.datetime) -> list[Slot]:
        same_day = [s for s in self.free_slots(office_id, service_id, day) if s.start > after]
        if same_day:
            return same_day[:3]
        for d in self.next_open_days(office_id, service_id, day + dt.timedelta(days=1), limit=1):
            return self.free_slots(office_id, service_id, d)[:3]
        return []

    # -- writing ---------------------------------------------------------------------------------
    def book(
        self, sender: str, channel: str, office_id: str, service_id: str, start: dt.datetime, name: str
    ) -> Booking:
        """Take a seat and record the booking, or raise BookingError (nothing is kept then)."""
        office, service = self._resolve(office_id, service_id)
        start = self._validate_start(office, service, start)
        name = " ".join(name.split())[:120]
        if not name:
            raise BookingError("no_name")
        try:
            with self._session() as s:
                # The seat is claimed first: on SQLite the first write takes the lock, so no reader
                # is later refused an upgrade; on PostgreSQL the row lock serialises the counter.
                self._claim_seat(s, office, service, start)
                active = s.scalar(
                    select(func.count())
                    .select_from(Booking)
                    .where(
                        Booking.sender == sender,
                        Booking.status == BookingStatus.ACTIVE,
                        Booking.end_at > self.now().astimezone(dt.UTC),
                    )
                )
                if int(active or 0) >= self.max_active:
                    raise BookingError("too_many", str(self.max_active))
                booking = Booking(
                    code=new_code(),
                    sender=sender,
                    channel=channel,
                    office_id=office.id,
                    service_id=service.id,
                    tenant_id=service.tenant,
                    day=start.date(),
                    start_at=start.astimezone(dt.UTC),
                    end_at=(start + dt.timedelta(minutes=office.slot_minutes)).astimezone(dt.UTC),
                    name=name,
                    status=BookingStatus.ACTIVE,
                )
                s.add(booking)
                s.flush()
                return booking
        except BookingError as exc:
            if exc.kind in ("slot_full", "quota_full"):
                exc.alternatives = self._alternatives(office.id, service.id, start.date(), start)
            raise
        except IntegrityError:  # a code collision (1 in 10^10): try once more with a new code
            return self.book(sender, channel, office_id, service_id, start, name)

    def cancel(self, sender: str | None, code: str, reason: str | None = None) -> Booking:
        """Cancel an active booking (the resident's own, or any when `sender` is None: staff)."""
        with self._session() as s:
            b = s.scalars(select(Booking).where(Booking.code == code).with_for_update()).first()
            if b is None or (sender is not None and b.sender != sender):
                raise BookingError("not_found")
            if b.status != BookingStatus.ACTIVE:
                raise BookingError("not_active", b.status)
            b.status = BookingStatus.CANCELLED
            b.cancel_reason = reason
            self._release_seat(s, b)
            return b

    def reschedule(self, sender: str, code: str, start: dt.datetime) -> Booking:
        """Move the resident's booking to another slot of the same office and service."""
        old = self.own(sender, code)
        if old.status != BookingStatus.ACTIVE:
            raise BookingError("not_active", old.status)
        office, service = self._resolve(old.office_id, old.service_id)
        start = self._validate_start(office, service, start)
        try:
            with self._session() as s:
                b = s.scalars(select(Booking).where(Booking.code == code).with_for_update()).one()
                if b.status != BookingStatus.ACTIVE:
                    raise BookingError("not_active", b.status)
                self._claim_seat(s, office, service, start)
                self._release_seat(s, b)
                b.day = start.date()
                b.start_at = start.astimezone(dt.UTC)
                b.end_at = (start + dt.timedelta(minutes=office.slot_minutes)).astimezone(dt.UTC)
                b.reminder_sent_at = None
                return b
        except BookingError as exc:
            if exc.kind in ("slot_full", "quota_full"):
                exc.alternatives = self._alternatives(office.id, service.id, start.date(), start)
            raise

    def set_status(self, code: str, status: str) -> Booking:
        """Staff: check-in, no-show or completed. Check-in and no-show keep the seat (the slot is over)."""
        allowed = {
            BookingStatus.CHECKED_IN: (BookingStatus.ACTIVE,),
            BookingStatus.NO_SHOW: (BookingStatus.ACTIVE,),
            BookingStatus.COMPLETED: (BookingStatus.ACTIVE, BookingStatus.CHECKED_IN),
        }
        if status not in allowed:
            raise BookingError("bad_status")
        with self._session() as s:
            b = s.scalars(select(Booking).where(Booking.code == code).with_for_update()).first()
            if b is None:
                raise BookingError("not_found")
            if b.status not in allowed[status]:
                raise BookingError("not_active", b.status)
            b.status = status
            return b

    def add_closure(self, office_id: str | None, day: dt.date, reason: str, by: str = "staff") -> list[Booking]:
        """Close a day for new bookings; returns the active bookings on it (to tell those residents)."""
        if office_id is not None and self.directory.get(office_id) is None:
            raise BookingError("unknown")
        with self._session() as s:
            s.add(Closure(office_id=office_id, day=day, reason=reason, created_by=by))
            q = select(Booking).where(Booking.day == day, Booking.status == BookingStatus.ACTIVE)
            if office_id is not None:
                q = q.where(Booking.office_id == office_id)
            return list(s.scalars(q))

    def remove_closure(self, office_id: str | None, day: dt.date) -> bool:
        """Reopen a closed day."""
        with self._session() as s:
            cond = Closure.office_id.is_(None) if office_id is None else Closure.office_id == office_id
            res = s.execute(delete(Closure).where(cond, Closure.day == day))
            return bool(getattr(res, "rowcount", 0))

    def claim_reminders(self, now: dt.datetime | None = None, hour: int = 16) -> list[Booking]:
        """Bookings of tomorrow whose reminder is due (from `hour` WITA today), each claimed exactly once."""
        now = (now or self.now()).astimezone(WITA)
        if now.hour < hour:
            return []
        tomorrow = now.date() + dt.timedelta(days=1)
        stamp = now.astimezone(dt.UTC)
        claimed: list[Booking] = []
        with self._session() as s:
            ids = list(
                s.scalars(
                    select(Booking.id).where(
                        and_(
                            Booking.day == tomorrow,
                            Booking.status == BookingStatus.ACTIVE,
                            Booking.reminder_sent_at.is_(None),
                        )
                    )
                )
            )
        for booking_id in ids:
            with self._session() as s:
                # Conditional update: two workers racing for the same reminder, only one wins.
                res = s.execute(
                    update(Booking)
                    .where(Booking.id == booking_id, Booking.reminder_sent_at.is_(None))
                    .values(reminder_sent_at=stamp)
                )
                if getattr(res, "rowcount", 0) == 1:
                    b = s.get(Booking, booking_id)
                    if b is not None:
                        claimed.append(b)
        return claimed

    def bookings_on(self, office_id: str | None, day: dt.date) -> list[Booking]:
        """Staff: the bookings of a day, by time."""
        with self._session() as s:
            q = select(Booking).where(Booking.day == day)
            if office_id:
                q = q.where(Booking.office_id == office_id)
            return list(s.scalars(q.order_by(Booking.start_at)))


def _slot_key(office: Office, tenant: str, start: dt.datetime) -> str:
    # At MPP Tenggarong every tenant has its own counter; a Mini MPP has one shared operator desk.
    desk = tenant if office.kind == "mpp" else "desk"
    return f"slot:{office.id}:{desk}:{start.astimezone(WITA):%Y-%m-%dT%H:%M}"


def _quota_key(office_id: str, service_id: str, day: dt.date) -> str:
    return f"quota:{office_id}:{service_id}:{day.isoformat()}"
