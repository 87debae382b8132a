"""Booking a visit at MPP Tenggarong or a Mini MPP: calendar, capacity, codes, reminders."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from mpp.booking.models import Booking, BookingStatus
from mpp.booking.service import BookingError, BookingService, Slot

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from mpp.settings import Settings

__all__ = [
    "Booking",
    "BookingError",
    "BookingService",
    "BookingStatus",
    "Slot",
    "booking_service_for",
    "get_booking_service",
]


def booking_service_for(settings: Settings, engine: Engine | None = None) -> BookingService:
    """A booking service for these settings (its own migrated engine unless one is given)."""
    from knowledge_base.catalogue import load_catalogue
    from knowledge_base.offices import load_offices
    from mpp.db import engine_for, migrate

    if engine is None:
        engine = engine_for(settings.sqlalchemy_url)
        migrate(engine)
    directory = load_offices(load_catalogue(settings.catalogue_dir))
    return BookingService(
        directory, engine, max_active=settings.booking_max_active, horizon_days=settings.booking_horizon_days
    )


@lru_cache(maxsize=1)
def get_booking_service() -> BookingService:
    """The process-wide booking service on the configured database."""
    from mpp.db import get_engine
    from mpp.settings import get_settings

    return booking_service_for(get_settings(), get_engine())
