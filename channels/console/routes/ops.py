"""Bookings of the day per office, closures, and satisfaction reports."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)
