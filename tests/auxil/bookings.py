"""Rows in the `bookings` table for tests that read bookings by plain SQL (the survey)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, text

__all__ = ["insert_booking"]


def insert_booking(
    engine: Engine,
    code: str,
    sender: str,
    day: dt.date,
    *,
    status: str = "completed",
    office_id: str = "mpp_tenggarong",
    service_id: str = "ktp_baru",
    tenant_id: str = "disdukcapil",
) -> None:
    """Insert one booking with the columns the survey reads."""
    start = dt.datetime.combine(day, dt.time(1, 0), tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO bookings (code, sender, channel, office_id, service_id, tenant_id, day, start_at, end_at,"
                " name, status) VALUES (:code, :sender, 'web', :office, :service, :tenant, :day, :start, :start,"
                " 'Warga', :status)"
            ),
            {
                "code": code,
                "sender": sender,
                "office": office_id,
                "service": service_id,
                "tenant": tenant_id,
                "day": day,
                "start": start,
                "status": status,
            },
        )
