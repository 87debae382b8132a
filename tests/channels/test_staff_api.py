"""Staff booking API and the reminder worker, against fake Telegram and Twilio servers."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from channels.reminders import ReminderWorker
from mpp.booking import BookingService
from mpp.booking.dates import WITA
from tests.booking.conftest import MONDAY, NOW
from tests.channels.conftest import RESIDENT_TG, RESIDENT_WA, Harness

TOKEN = "staff-token-for-tests-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PASPOR = "paspor_baru"


def at(day: dt.date, hh: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hh, tzinfo=WITA)


@pytest.fixture
def harness(make_harness: Callable[..., Harness]) -> Harness:
    h = make_harness(STAFF_API_TOKEN=TOKEN, BOOKING_REMINDERS="false", WHATSAPP_REMINDER_CONTENT_SID="HXreminder01")
    bookings(h).clock = lambda: NOW
    return h


def bookings(h: Harness) -> BookingService:
    svc: BookingService = h.client.app.state.bookings  # type: ignore[attr-defined]
    return svc


ROUTES = [
    ("get", "/api/staff/bookings", None),
    ("get", "/api/staff/bookings/MPP-K7M3QX", None),
    ("post", "/api/staff/bookings/MPP-K7M3QX/check-in", None),
    ("post", "/api/staff/bookings/MPP-K7M3QX/no-show", None),
    ("post", "/api/staff/bookings/MPP-K7M3QX/cancel", {"reason": "banjir"}),
    ("post", "/api/staff/closures", {"day": "2026-12-09", "reason": "banjir"}),
]


def test_every_staff_route_needs_the_token(harness: Harness) -> None:
    for method, path, body in ROUTES:
        for auth in (None, "Bearer wrong-token-wrong-token", "Basic abc", f"Bearer {TOKEN}x"):
            headers = {"Authorization": auth} if auth else {}
            r = harness.client.request(method, path, json=body, headers=headers)
            assert r.status_code == 401, (method, path, auth)
            assert r.json()["detail"] == "Perlu kredensial petugas."


def test_check_in_no_show_and_listing(harness: Harness) -> None:
    svc = bookings(harness)
    a = svc.book(f"telegram:{RESIDENT_TG}", "telegram", "mpp_tenggarong", PASPOR, at(MONDAY, 8), "Siti Aminah")
    b = svc.book("web:x", "web", "mpp_tenggarong", PASPOR, at(MONDAY, 9), "Budi")
    r = harness.client.get(
        "/api/staff/bookings", params={"day": "2026-12-07", "office": "mpp_tenggarong"}, headers=AUTH
    )
    assert [x["code"] for x in r.json()] == [f"MPP-{a.code}", f"MPP-{b.code}"]
    assert r.json()[0]["time"] == "08:00" and r.json()[0]["name"] == "Siti Aminah"
    assert "sender" not in r.json()[0]  # staff see the name, not the phone number or chat id
    r = harness.client.post(f"/api/staff/bookings/{a.code.lower()}/check-in", headers=AUTH)
    assert r.status_code == 200 and r.json()["status"] == "checked_in"
    assert harness.client.post(f"/api/staff/bookings/MPP-{a.code}/no-show", headers=AUTH).status_code == 409
    assert harness.client.post(f"/api/staff/bookings/MPP-{b.code}/no-show", headers=AUTH).json()["status"] == "no_show"
    assert harness.client.get("/api/staff/bookings/MPP-K7M3QX", headers=AUTH).status_code == 404
    assert harness.client.post("/api/staff/bookings/MPP-K7M3QX/teleport", headers=AUTH).status_code == 422


def test_staff_cancel_and_closure_tell_the_resident(harness: Harness) -> None:
    svc = bookings(harness)
    a = svc.book(f"telegram:{RESIDENT_TG}", "telegram", "mpp_tenggarong", PASPOR, at(MONDAY, 8), "Siti")
    r = harness.client.post(f"/api/staff/bookings/MPP-{a.code}/cancel", json={"reason": "petugas sakit"}, headers=AUTH)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    sent = harness.telegram.sent(RESIDENT_TG)
    assert "dibatalkan oleh petugas: petugas sakit" in sent[-1]["text"] and f"MPP-{a.code}" in sent[-1]["text"]
    wed = dt.date(2026, 12, 9)
    c = svc.book(f"telegram:{RESIDENT_TG}", "telegram", "mpp_tenggarong", PASPOR, at(wed, 8), "Siti")
    r = harness.client.post(
        "/api/staff/closures",
        json={"office_id": "mpp_tenggarong", "day": wed.isoformat(), "reason": "banjir"},
        headers=AUTH,
    )
    assert r.json() == {"affected": 1, "told": 1}
    assert "tutup pada Rabu, 9 Desember 2026 (banjir)" in harness.telegram.sent(RESIDENT_TG)[-1]["text"]
    assert f"MPP-{c.code}" in harness.telegram.sent(RESIDENT_TG)[-1]["text"]
    assert svc.check_day("mpp_tenggarong", PASPOR, wed).reason == "closure"
    bad = harness.client.post(
        "/api/staff/closures", json={"office_id": "nowhere", "day": wed.isoformat(), "reason": "x y z"}, headers=AUTH
    )
    assert bad.status_code == 404


def test_reminders_go_out_once_through_each_channel(harness: Harness) -> None:
    svc = bookings(harness)
    wed = dt.date(2026, 12, 9)
    svc.book(f"telegram:{RESIDENT_TG}", "telegram", "mpp_tenggarong", PASPOR, at(wed, 8), "Siti")
    svc.book(RESIDENT_WA, "whatsapp", "mpp_tenggarong", PASPOR, at(wed, 9), "Andi")
    worker = ReminderWorker(svc, harness.client.app.state.outbound, harness.settings)  # type: ignore[attr-defined]
    loop_run: Callable[[dt.datetime], Any] = lambda now: harness.client.portal.call(worker.run_once, now)  # type: ignore[union-attr]  # noqa: E731
    assert loop_run(at(dt.date(2026, 12, 8), 15)) == (0, 0)  # before 16.00 the day before
    assert loop_run(at(dt.date(2026, 12, 8), 16)) == (2, 2)
    text = harness.telegram.sent(RESIDENT_TG)[-1]["text"]
    assert text.startswith("⏰ Pengingat: besok, Rabu, 9 Desember 2026 jam 08.00 WITA")
    # The WhatsApp resident never wrote to us: outside the 24 h window only the approved template may go.
    created = harness.twilio.created[-1]
    assert created["ContentSid"] == "HXreminder01" and "Body" not in created
    assert '"1": "Rabu, 9 Desember 2026"' in created["ContentVariables"]
    assert loop_run(at(dt.date(2026, 12, 8), 17)) == (0, 0)  # each reminder once
    assert asyncio.iscoroutinefunction(worker.run_once)
