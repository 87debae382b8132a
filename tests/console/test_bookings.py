"""Bookings from the console: check-in, cancel with a reason (resident told), CSV export (audited), closures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from mpp.booking.models import Closure
from mpp.console.models import AuditEntry
from mpp.db import session_scope
from tests.console.conftest import Console
from tests.console.test_handoffs_privacy import FakeOutbound


def _book(console: Console, sender: str, name: str = "Siti Aminah") -> Any:
    bookings = console.client.app.state.bookings  # type: ignore[attr-defined]
    day = bookings.next_open_days("mpp_tenggarong", "ktp_baru", dt.date.today() + dt.timedelta(days=1))[0]
    slot = bookings.free_slots("mpp_tenggarong", "ktp_baru", day)[0]
    return bookings.book(sender, sender.split(":")[0], "mpp_tenggarong", "ktp_baru", slot.start, name)


def test_checkin_cancel_and_csv(console: Console) -> None:
    outbound = FakeOutbound()
    console.client.app.state.outbound = outbound  # type: ignore[attr-defined]
    a, b = _book(console, "telegram:501"), _book(console, "telegram:502", "Budi")
    csrf = console.act_as("operator@mpp.id")
    page = console.client.get(f"/console/bookings?office=mpp_tenggarong&day={a.day}")
    assert f"MPP-{a.code}" in page.text and "Siti Aminah" in page.text and "telegram:501" in page.text
    assert console.client.get(f"/console/bookings?code=mpp-{a.code.lower()}").text.count("Siti Aminah") == 1
    console.client.post(f"/console/bookings/{a.code}/checkin", data={"csrf_token": csrf})
    r = console.client.post(f"/console/bookings/{b.code}/cancel", data={"csrf_token": csrf, "reason": ""})
    assert r.status_code == 422
    console.client.post(f"/console/bookings/{b.code}/cancel", data={"csrf_token": csrf, "reason": "loket tutup"})
    bookings = console.client.app.state.bookings  # type: ignore[attr-defined]
    assert bookings.get(a.code).status == "checked_in" and bookings.get(b.code).status == "cancelled"
    assert outbound.sent[0][0] == "telegram:502" and "loket tutup" in outbound.sent[0][1][0].text
    csv = console.client.get(f"/console/bookings.csv?office=mpp_tenggarong&day={a.day}")
    assert csv.headers["content-type"].startswith("text/csv") and "Siti Aminah" in csv.text
    with session_scope(console.state.engine) as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "export")).one()
        assert entry.actor == "operator@mpp.id" and entry.after["rows"] == 2 and "Siti" not in str(entry.after)


def test_operator_cannot_serve_another_office(console: Console) -> None:
    console.act_as("operator@mpp.id")
    assert console.client.get("/console/bookings?office=mini_loa_kulu").status_code == 403


def test_closure_blocks_bookings_and_tells_residents(console: Console) -> None:
    outbound = FakeOutbound()
    console.client.app.state.outbound = outbound  # type: ignore[attr-defined]
    booked = _book(console, "telegram:601")
    csrf = console.act_as("operator@mpp.id")
    r = console.client.post(
        "/console/closures",
        data={"csrf_token": csrf, "office_id": "mpp_tenggarong", "day": booked.day.isoformat(), "reason": "banjir"},
    )
    assert r.status_code == 200 and "1 booking dibatalkan" in r.text
    bookings = console.client.app.state.bookings  # type: ignore[attr-defined]
    assert bookings.get(booked.code).status == "cancelled"
    assert "banjir" in outbound.sent[0][1][0].text and outbound.sent[0][0] == "telegram:601"
    assert not bookings.free_slots("mpp_tenggarong", "ktp_baru", booked.day)  # no new bookings that day
    with session_scope(console.state.engine) as db:
        assert db.scalars(select(Closure)).one().created_by == "operator@mpp.id"
    again = {"csrf_token": csrf, "office_id": "mpp_tenggarong", "day": booked.day.isoformat(), "reason": "banjir"}
    assert console.client.post("/console/closures", data=again).status_code == 409
