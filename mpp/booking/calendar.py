"""Working days and slots: national holidays, cuti bersama, staff closures, opening hours, horizon."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import holidays

from knowledge_base.offices import Office, OfficeDirectory
from knowledge_base.schema import Service
from mpp.booking.dates import WITA

__all__ = ["DayCheck", "check_day", "holiday_name", "slot_starts"]


@lru_cache(maxsize=8)
def _holidays(year: int) -> dict[dt.date, str]:
    # "government" holds the cuti bersama days: MPP counters close on them too.
    table = holidays.country_holidays("ID", years=year, categories=("public", "government"), language="id")
    return dict(table.items())


def holiday_name(day: dt.date) -> str | None:
    """The national holiday or cuti bersama on that day, if any."""
    return _holidays(day.year).get(day)


@dataclass(frozen=True)
class DayCheck:
    """Whether an office takes bookings for a service on a day; `reason` says why not."""

    ok: bool
    reason: str | None = None  # past | horizon | holiday | closure | not_served
    detail: str | None = None


def check_day(
    directory: OfficeDirectory,
    office: Office,
    service: Service,
    day: dt.date,
    today: dt.date,
    horizon_days: int,
    closure: str | None,
) -> DayCheck:
    """Apply the calendar rules in the order a resident would want them explained."""
    if day < today:
        return DayCheck(False, "past")
    if day > today + dt.timedelta(days=horizon_days):
        return DayCheck(False, "horizon", str(horizon_days))
    name = holiday_name(day)
    if name:
        return DayCheck(False, "holiday", name)
    if closure is not None:
        return DayCheck(False, "closure", closure)
    if directory.hours_on(office, service, day) is None:
        return DayCheck(False, "not_served")
    return DayCheck(True)


def slot_starts(directory: OfficeDirectory, office: Office, service: Service, day: dt.date) -> list[dt.datetime]:
    """Every slot start (WITA) of that day for that service; the last slot ends by closing time."""
    hours = directory.hours_on(office, service, day)
    if hours is None:
        return []
    step = dt.timedelta(minutes=office.slot_minutes)
    cur = dt.datetime.combine(day, hours.start, tzinfo=WITA)
    end = dt.datetime.combine(day, hours.end, tzinfo=WITA)
    out = []
    while cur + step <= end:
        out.append(cur)
        cur += step
    return out
