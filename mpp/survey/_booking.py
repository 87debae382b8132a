"""Reading bookings for the survey, by plain SQL on the `bookings` table (one place to swap for the ORM)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

__all__ = ["BookingInfo", "booking_by_code", "recent_booking_for", "served_bookings"]

log = logging.getLogger(__name__)
# A booking counts as served (a survey population member, a survey invitation) from check-in on.
SERVED = ("checked_in", "completed")
_COLUMNS = "code, sender, channel, office_id, tenant_id, service_id, day, status"


@dataclass(frozen=True)
class BookingInfo:
    """What the survey copies from a booking."""

    code: str
    sender: str
    channel: str
    office_id: str | None
    tenant_id: str | None
    service_id: str | None
    day: dt.date
    status: str


def _rows(engine: Engine, sql: str, params: dict[str, object]) -> list[BookingInfo]:
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(sql), params).all()
    except DBAPIError as exc:  # no bookings table yet (booking work not migrated): no booking context
        log.warning("bookings unreadable", extra={"error": type(exc).__name__})
        return []
    out = []
    for r in rows:
        day = r.day if isinstance(r.day, dt.date) else dt.date.fromisoformat(str(r.day)[:10])
        out.append(
            BookingInfo(
                str(r.code),
                str(r.sender),
                str(r.channel or "web"),
                r.office_id,
                r.tenant_id,
                r.service_id,
                day,
                str(r.status),
            )
        )
    return out


def booking_by_code(engine: Engine, code: str) -> BookingInfo | None:
    """The booking with this code, or None."""
    rows = _rows(engine, f"SELECT {_COLUMNS} FROM bookings WHERE code = :code", {"code": code})  # noqa: S608
    return rows[0] if rows else None


def recent_booking_for(engine: Engine, sender: str, since: dt.date) -> list[BookingInfo]:
    """This sender's served bookings since a day, newest first."""
    sql = (
        f"SELECT {_COLUMNS} FROM bookings WHERE sender = :sender AND day >= :since "  # noqa: S608
        "AND status IN ('checked_in', 'completed') ORDER BY day DESC, start_at DESC"
    )
    return _rows(engine, sql, {"sender": sender, "since": since})


def served_bookings(
    engine: Engine, office_id: str | None, date_from: dt.date | None, date_to: dt.date | None
) -> list[BookingInfo]:
    """Served bookings in a scope: the known part of the survey population."""
    sql = f"SELECT {_COLUMNS} FROM bookings WHERE status IN ('checked_in', 'completed')"  # noqa: S608
    params: dict[str, object] = {}
    if office_id:
        sql += " AND office_id = :office"
        params["office"] = office_id
    if date_from:
        sql += " AND day >= :date_from"
        params["date_from"] = date_from
    if date_to:
        sql += " AND day <= :date_to"
        params["date_to"] = date_to
    return _rows(engine, sql, params)
