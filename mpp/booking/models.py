"""Tables of the booking store: bookings, capacity counters and closures."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, DateTime, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from mpp.models import Base

__all__ = ["ACTIVE", "Booking", "BookingStatus", "CapacityCounter", "Closure"]


class BookingStatus:
    """The life of a booking."""

    ACTIVE = "active"
    CANCELLED = "cancelled"
    CHECKED_IN = "checked_in"
    NO_SHOW = "no_show"
    COMPLETED = "completed"


ACTIVE = BookingStatus.ACTIVE


class Booking(Base):
    """One resident's visit to one office for one service at one slot."""

    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    sender: Mapped[str] = mapped_column(String(128), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    office_id: Mapped[str] = mapped_column(String(64), index=True)
    service_id: Mapped[str] = mapped_column(String(80))
    tenant_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    start_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    end_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE, index=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    reminder_sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class CapacityCounter(Base):
    """Seats taken on one slot or one service-day; the CHECK keeps it from going below zero.

    Claims are `UPDATE ... SET used = used + 1 WHERE key = :k AND used < :capacity`: the row lock
    (PostgreSQL) or the single writer (SQLite) makes the test-and-increment atomic, so capacity is
    never exceeded however many residents press the same button at once.
    """

    __tablename__ = "capacity_counters"
    __table_args__ = (CheckConstraint("used >= 0", name="ck_capacity_used_non_negative"),)

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    used: Mapped[int] = mapped_column(Integer, default=0)


class Closure(Base):
    """A day an office (or every office, office_id NULL) takes no bookings: a flood, a staff day off."""

    __tablename__ = "closures"
    __table_args__ = (UniqueConstraint("office_id", "day", name="uq_closure_office_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(128), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
