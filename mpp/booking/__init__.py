"""Booking a visit at MPP Tenggarong or a Mini MPP: calendar, capacity, codes, reminders."""

from __future__ import annotations

from functools import lru_cache

from mpp.booking.models import Booking, BookingStatus
from mpp.booking.service import BookingError, BookingService, Slot

__all__ = ["Booking", "BookingError", "BookingService", "BookingStatus", "Slot", "get_booking_service"]


@lru_cache(maxsize=1)
def get_booking_service() -> BookingService:
    """The process-wide booking service on the configured database."""
    from knowledge_base.catalogue import load_catalogue
    from knowledge_base.offices import load_offices
    from mpp.db import get_engine
    from mpp.settings import get_settings

    cfg = get_settings()
    directory = load_offices(load_catalogue(cfg.catalogue_dir))
    return BookingService(
        directory, get_engine(), max_active=cfg.booking_max_active, horizon_days=cfg.booking_horizon_days
    )
