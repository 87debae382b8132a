"""Booking rules on the real databases: calendar, capacity, quotas, ownership, staff, reminders."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from mpp.booking import BookingError, BookingService, BookingStatus
from mpp.booking.dates import WITA
from mpp.booking.models import Booking
from mpp.booking.service import local
from tests.booking.conftest import MONDAY, NOW, Clock

PASPOR = "paspor_baru"  # imigrasi: Monday and Wednesday 08.00-12.00, 30 a day, MPP Tenggarong only
MPP = "mpp_tenggarong"


def at(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=WITA)


def test_calendar_refuses_weekend_holiday_past_horizon_and_other_weekdays(
    make_service: Callable[..., BookingService],
) -> None:
    svc = make_service(horizon_days=30)
    assert svc.check_day(MPP, PASPOR, MONDAY).ok
    assert svc.check_day(MPP, PASPOR, dt.date(2026, 12, 8)).reason == "not_served"  # Tuesday: no immigration
    assert svc.check_day(MPP, PASPOR, dt.date(2026, 12, 5)).reason == "not_served"  # Saturday
    christmas = svc.check_day(MPP, PASPOR, dt.date(2026, 12, 23))
    assert christmas.ok  # a Wednesday before the holidays
    cuti = svc.check_day(MPP, PASPOR, dt.date(2026, 12, 24))
    assert (cuti.reason, cuti.detail) == ("holiday", "Cuti Bersama Hari Raya Natal")
    assert svc.check_day(MPP, PASPOR, dt.date(2026, 11, 30)).reason == "past"
    assert svc.check_day(MPP, PASPOR, dt.date(2027, 1, 11)).reason == "horizon"


def test_slots_follow_the_service_window_and_time_zone(make_service: Callable[..., BookingService]) -> None:
    svc = make_service()
    slots = svc.slots(MPP, PASPOR, MONDAY)
    assert [f"{s.start:%H:%M}" for s in slots] == [
        "08:00",
        "08:30",
        "09:00",
        "09:30",
        "10:00",
        "10:30",
        "11:00",
        "11:30",
    ]
    assert all(s.start.utcoffset() == dt.timedelta(hours=8) for s in slots)
    b = svc.book("web:a", "web", MPP, PASPOR, slots[0].start, "Siti Aminah")
    assert b.start_at.astimezone(dt.UTC) == dt.datetime(2026, 12, 7, 0, 0, tzinfo=dt.UTC)  # 08.00 WITA = 00.00 UTC
    assert local(b.start_at) == at(MONDAY, 8)


def test_today_offers_only_future_slots(make_service: Callable[..., BookingService], clock: Clock) -> None:
    svc = make_service()
    ktp = next(
        s.id for s in svc.directory.services.values() if svc.directory.offices_for(s) and s.tenant == "disdukcapil"
    )
    starts = [f"{s.start:%H:%M}" for s in svc.slots(MPP, ktp, NOW.date())]  # Friday 08.00-11.00, now 10.00
    assert starts == ["10:30"]
    with pytest.raises(BookingError) as err:
        svc.book("web:a", "web", MPP, ktp, at(NOW.date(), 9), "Budi")
    assert err.value.kind == "past"


def test_slot_capacity_then_alternatives(make_service: Callable[..., BookingService]) -> None:
    svc = make_service()  # 2 residents per slot per tenant counter
    start = at(MONDAY, 9)
    svc.book("web:a", "web", MPP, PASPOR, start, "A")
    svc.book("web:b", "web", MPP, PASPOR, start, "B")
    with pytest.raises(BookingError) as err:
        svc.book("web:c", "web", MPP, PASPOR, start, "C")
    assert err.value.kind == "slot_full"
    assert [f"{s.start:%H:%M}" for s in err.value.alternatives] == ["09:30", "10:00", "10:30"]
    free = {f"{s.start:%H:%M}": s.free for s in svc.slots(MPP, PASPOR, MONDAY)}
    assert free["09:00"] == 0 and free["08:30"] == 2


def test_daily_quota_binds_before_slot_capacity(make_service: Callable[..., BookingService]) -> None:
    svc = make_service(counters=10, max_active=1)  # 8 slots x 10 = 80 seats, but immigration takes 30 a day
    slots = svc.slots(MPP, PASPOR, MONDAY)
    for i in range(30):
        svc.book(f"web:{i}", "web", MPP, PASPOR, slots[i % len(slots)].start, f"Warga {i}")
    with pytest.raises(BookingError) as err:
        svc.book("web:late", "web", MPP, PASPOR, slots[-1].start, "Terlambat")
    assert err.value.kind == "quota_full"
    assert svc.free_slots(MPP, PASPOR, MONDAY) == []
    assert dt.date(2026, 12, 9) in svc.next_open_days(MPP, PASPOR, MONDAY)  # Wednesday still open


def test_active_limit_ownership_cancel_and_reschedule(make_service: Callable[..., BookingService]) -> None:
    svc = make_service(max_active=2)
    b1 = svc.book("telegram:1", "telegram", MPP, PASPOR, at(MONDAY, 8), "Rina")
    svc.book("telegram:1", "telegram", MPP, PASPOR, at(MONDAY, 8, 30), "Rina")
    with pytest.raises(BookingError) as err:
        svc.book("telegram:1", "telegram", MPP, PASPOR, at(MONDAY, 9), "Rina")
    assert (err.value.kind, err.value.detail) == ("too_many", "2")
    assert next(b.code for b in svc.active_for("telegram:1")) == b1.code
    assert svc.active_for("telegram:2") == []
    for other in ("telegram:2", "whatsapp:+6281234567890"):
        with pytest.raises(BookingError, match="not_found"):
            svc.cancel(other, b1.code)
        with pytest.raises(BookingError, match="not_found"):
            svc.reschedule(other, b1.code, at(MONDAY, 10))
    moved = svc.reschedule("telegram:1", b1.code, at(dt.date(2026, 12, 9), 10))
    assert local(moved.start_at) == at(dt.date(2026, 12, 9), 10)
    assert {f"{s.start:%H:%M}": s.free for s in svc.slots(MPP, PASPOR, MONDAY)}["08:00"] == 2  # seat given back
    cancelled = svc.cancel("telegram:1", b1.code)
    assert cancelled.status == BookingStatus.CANCELLED
    with pytest.raises(BookingError, match="not_active"):
        svc.cancel("telegram:1", b1.code)
    svc.book("telegram:1", "telegram", MPP, PASPOR, at(MONDAY, 9), "Rina")  # room again after cancelling


def test_bad_requests_never_book(make_service: Callable[..., BookingService]) -> None:
    svc = make_service()
    cases = [
        (MPP, "paspor_hilang", at(MONDAY, 8), "not_offered"),  # Kanim Samarinda only
        ("mini_tabang", PASPOR, at(MONDAY, 8), "not_offered"),  # biometrics only at MPP Tenggarong
        (MPP, PASPOR, at(MONDAY, 8, 15), "bad_slot"),
        (MPP, PASPOR, at(MONDAY, 13), "bad_slot"),  # immigration closes at noon
        (MPP, PASPOR, at(dt.date(2026, 12, 24), 8), "holiday"),
        (MPP, PASPOR, at(dt.date(2026, 11, 30), 8), "past"),
        ("nowhere", PASPOR, at(MONDAY, 8), "unknown"),
    ]
    for office, service, start, kind in cases:
        with pytest.raises(BookingError) as err:
            svc.book("web:x", "web", office, service, start, "X")
        assert err.value.kind == kind, (office, service, start)
    with svc._session() as s:
        assert s.scalar(select(func.count()).select_from(Booking)) == 0


def test_codes_are_unique_readable_and_not_sequential(make_service: Callable[..., BookingService]) -> None:
    svc = make_service(counters=10, max_active=50)
    codes = [svc.book("web:c", "web", MPP, PASPOR, at(MONDAY, 8 + i // 10, 0), "C").code for i in range(20)]
    assert len(set(codes)) == 20
    assert all(len(c) == 6 and not set(c) & set("01ILOSZ25") for c in codes)
    assert len({c[0] for c in codes}) > 3  # random, not a counter: first characters vary


def test_staff_status_closures_and_reminders(make_service: Callable[..., BookingService], clock: Clock) -> None:
    svc = make_service()
    tomorrow_mon = svc.book("whatsapp:+6281200000001", "whatsapp", MPP, PASPOR, at(MONDAY, 8), "Andi")
    other = svc.book("telegram:9", "telegram", MPP, PASPOR, at(dt.date(2026, 12, 9), 8), "Beni")
    assert svc.set_status(tomorrow_mon.code, BookingStatus.CHECKED_IN).status == BookingStatus.CHECKED_IN
    with pytest.raises(BookingError, match="not_active"):
        svc.set_status(tomorrow_mon.code, BookingStatus.NO_SHOW)
    assert svc.set_status(tomorrow_mon.code, BookingStatus.COMPLETED).status == BookingStatus.COMPLETED
    affected = svc.add_closure(MPP, dt.date(2026, 12, 9), "banjir", by="admin@mpp")
    assert [b.code for b in affected] == [other.code]
    assert svc.check_day(MPP, PASPOR, dt.date(2026, 12, 9)).reason == "closure"
    with pytest.raises(BookingError, match="closure"):
        svc.book("web:z", "web", MPP, PASPOR, at(dt.date(2026, 12, 9), 9), "Z")
    assert svc.remove_closure(MPP, dt.date(2026, 12, 9))
    # Reminders: due from 16.00 WITA the day before, each claimed once.
    b = svc.book("web:r", "web", MPP, PASPOR, at(dt.date(2026, 12, 9), 9), "R")
    assert svc.claim_reminders(at(dt.date(2026, 12, 8), 15), hour=16) == []
    first = svc.claim_reminders(at(dt.date(2026, 12, 8), 16, 5), hour=16)
    assert {x.code for x in first} == {other.code, b.code}
    assert svc.claim_reminders(at(dt.date(2026, 12, 8), 17), hour=16) == []


@pytest.mark.parametrize("attempts", [500])
def test_concurrent_attempts_never_exceed_capacity(
    make_service: Callable[..., BookingService], engine: object, attempts: int
) -> None:
    """500 simultaneous attempts on a slot of capacity 10 give exactly 10 bookings."""
    svc = make_service(counters=10, max_active=1)
    start = at(MONDAY, 9)
    gate = threading.Barrier(32)
    results: list[str] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        if i < 32:
            gate.wait()  # the first wave leaves together
        try:
            svc.book(f"web:{i}", "web", MPP, PASPOR, start, f"Warga {i}")
            outcome = "ok"
        except BookingError as exc:
            outcome = exc.kind
        with lock:
            results.append(outcome)

    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(attempt, range(attempts)))
    assert results.count("ok") == 10
    assert set(results) == {"ok", "slot_full"}
    with svc._session() as s:
        assert s.scalar(select(func.count()).select_from(Booking).where(Booking.status == "active")) == 10
    assert {f"{s.start:%H:%M}": s.free for s in svc.slots(MPP, PASPOR, MONDAY)}["09:00"] == 0
