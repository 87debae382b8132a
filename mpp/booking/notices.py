"""Texts the service sends on its own about a booking (reminders, closures, staff cancellations)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from knowledge_base.offices import OfficeDirectory
from mpp.booking.codes import display_code
from mpp.booking.dates import format_day, format_time
from mpp.booking.models import Booking
from mpp.booking.service import local

__all__ = ["booking_fields", "notice"]

_PATH = Path(__file__).parent / "data" / "notices.yml"


@lru_cache(maxsize=1)
def _texts() -> dict[str, str]:
    data: dict[str, str] = yaml.safe_load(_PATH.read_text(encoding="utf-8"))
    return data


def booking_fields(directory: OfficeDirectory, b: Booking) -> dict[str, str]:
    """The placeholders of a booking, written for residents."""
    office = directory.get(b.office_id)
    service = directory.services.get(b.service_id)
    start = local(b.start_at)
    return {
        "code": display_code(b.code),
        "service": service.name if service else b.service_id,
        "office": office.name if office else b.office_id,
        "address": office.address if office else "",
        "day": format_day(start.date()),
        "time": format_time(start),
    }


def notice(kind: str, directory: OfficeDirectory, b: Booking, **extra: str) -> str:
    """A notice of this kind (reminder | closure | staff_cancelled) for this booking."""
    return _texts()[kind].format(**booking_fields(directory, b), **extra)
