"""Booking actions on trackers: each form step, the confirmation, one's own bookings only."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.booking as booking_actions
from actions.booking import (
    ActionAskBookingTime,
    ActionBookingCancel,
    ActionBookingList,
    ActionBookingStart,
    ActionBookingSubmit,
    ActionNearestOffice,
    ValidateBookingForm,
)
from knowledge_base.offices import load_offices
from mpp.booking import BookingService
from mpp.booking.dates import WITA
from tests.auxil.db import sqlite_engine
from tests.booking.conftest import MONDAY, NOW, catalogue

PASPOR = "paspor_baru"


@pytest.fixture
def svc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[BookingService]:
    """The actions' booking service on a fresh SQLite store and a fixed clock."""
    for engine in sqlite_engine(tmp_path):
        service = BookingService(load_offices(catalogue()), engine, clock=lambda: NOW)
        monkeypatch.setattr(booking_actions, "_svc", lambda s=service: s)
        yield service


def mini_service(svc: BookingService) -> str:
    """A service a Mini MPP offers (and MPP Tenggarong too)."""
    loa_kulu = svc.directory.get("mini_loa_kulu")
    return next(s.id for s in svc.directory.services.values() if loa_kulu in svc.directory.offices_for(s))


def tracker(
    text: str = "",
    intent: str = "inform",
    entities: list[dict[str, Any]] | None = None,
    sender: str = "web:t",
    **slots: Any,
) -> Tracker:
    return Tracker(
        sender_id=sender,
        slots=slots,
        latest_message={"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={"name": "booking_form"},
        latest_action_name="action_listen",
    )


def run(action: Any, trk: Tracker) -> tuple[list[str], dict[str, Any], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, trk, {}))
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return [m.get("text") or "" for m in dispatcher.messages], slots, dispatcher.messages


def test_office_from_a_named_desa(svc: BookingService) -> None:
    texts, slots, _ = run(
        ValidateBookingForm(),
        tracker("sy tinggal di desa jembayan", booking_service=mini_service(svc), requested_slot="booking_office"),
    )
    assert slots == {"booking_office": "mini_loa_kulu"}
    assert "Mini MPP Loa Kulu" in texts[0] and "km dari Jembayan" in texts[0]


def test_office_from_a_shared_location(svc: BookingService) -> None:
    tabang = svc.directory.get("mini_tabang")
    assert tabang is not None
    ents = [{"entity": "lat", "value": tabang.lat + 0.02}, {"entity": "lon", "value": tabang.lon}]
    _, slots, _ = run(
        ValidateBookingForm(),
        tracker(
            "/share_location",
            "share_location",
            ents,
            booking_service=mini_service(svc),
            requested_slot="booking_office",
        ),
    )
    assert slots == {"booking_office": "mini_tabang"}


def test_unknown_place_is_asked_again(svc: BookingService) -> None:
    texts, slots, _ = run(
        ValidateBookingForm(), tracker("jakarta", booking_service=mini_service(svc), requested_slot="booking_office")
    )
    assert slots == {"booking_office": None} and "belum saya kenali" in texts[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tanggal 35", "tidak ada di kalender"),
        ("25 desember", "hari libur (Hari Raya Natal)"),
        ("selasa", "tidak dilayani di MPP Kukar Tenggarong pada hari Selasa"),
        ("6 januari", "Pemesanan hanya bisa paling jauh 30 hari"),  # 33 days ahead
        ("kapan2 aja", "tanggalnya belum saya pahami"),
    ],
)
def test_bad_dates_get_a_reason_and_no_slot(svc: BookingService, text: str, expected: str) -> None:
    texts, slots, _ = run(
        ValidateBookingForm(),
        tracker(text, booking_service=PASPOR, booking_office="mpp_tenggarong", requested_slot="booking_date"),
    )
    assert slots.get("booking_date") is None
    assert expected in " ".join(texts)


def test_good_date_with_a_time_fills_both(svc: BookingService) -> None:
    _, slots, _ = run(
        ValidateBookingForm(),
        tracker("senin jam 9", booking_service=PASPOR, booking_office="mpp_tenggarong", requested_slot="booking_date"),
    )
    assert slots == {"booking_date": "2026-12-07", "booking_time": "09:00"}


def test_time_buttons_show_only_free_slots(svc: BookingService) -> None:
    start = dt.datetime.combine(MONDAY, dt.time(8), tzinfo=WITA)
    svc.book("web:a", "web", "mpp_tenggarong", PASPOR, start, "A")
    svc.book("web:b", "web", "mpp_tenggarong", PASPOR, start, "B")
    _, _, msgs = run(
        ActionAskBookingTime(),
        tracker(booking_service=PASPOR, booking_office="mpp_tenggarong", booking_date="2026-12-07"),
    )
    titles = [b["title"] for b in msgs[0]["buttons"]]
    assert titles[0] == "08.30" and "08.00" not in titles
    assert msgs[0]["buttons"][0]["payload"] == '/inform{"jam": "08:30"}'


def test_confirm_books_and_a_slot_taken_meanwhile_is_offered_again(svc: BookingService) -> None:
    filled = dict(
        booking_service=PASPOR, booking_office="mpp_tenggarong", booking_date="2026-12-07", booking_time="08:00",
        booking_name="Siti Aminah", requested_slot="booking_confirm",
    )  # fmt: skip
    start = dt.datetime.combine(MONDAY, dt.time(8), tzinfo=WITA)
    svc.book("web:a", "web", "mpp_tenggarong", PASPOR, start, "A")
    svc.book("web:b", "web", "mpp_tenggarong", PASPOR, start, "B")
    texts, slots, _ = run(ValidateBookingForm(), tracker("ya", "affirm", **filled))
    assert slots == {"booking_time": None, "booking_confirm": None} and "baru saja penuh" in texts[0]
    filled["booking_time"] = "08:30"
    _, slots, _ = run(ValidateBookingForm(), tracker("ya", "affirm", **filled))
    assert slots["booking_confirm"] == "done"
    code = slots["booking_code"]
    texts, _, _ = run(ActionBookingSubmit(), tracker(booking_confirm="done", booking_code=code))
    assert f"MPP-{code}" in texts[0] and "Senin, 7 Desember 2026" in texts[0] and "08.30" in texts[0]
    assert "KTP-el asli" in texts[0]  # what to bring
    assert svc.active_for("web:t")[0].code == code


def test_stop_words_leave_the_form_to_the_rules(svc: BookingService) -> None:
    _, slots, _ = run(ValidateBookingForm(), tracker("gak jadi deh", "deny", requested_slot="booking_name"))
    assert slots == {}


def test_names_are_checked(svc: BookingService) -> None:
    texts, slots, _ = run(ValidateBookingForm(), tracker("12345", "inform", requested_slot="booking_name"))
    assert slots == {"booking_name": None} and "nama lengkap" in texts[0]
    _, slots, _ = run(ValidateBookingForm(), tracker("nama saya siti aminah", "inform", requested_slot="booking_name"))
    assert slots == {"booking_name": "Siti Aminah"}


def test_start_refuses_a_service_that_cannot_be_booked(svc: BookingService) -> None:
    ents = [{"entity": "service_id", "value": "paspor_hilang"}]
    texts, slots, _ = run(ActionBookingStart(), tracker("/book_visit", "book_visit", ents))
    assert "Kantor Imigrasi Kelas I TPI Samarinda" in texts[0]
    assert slots["booking_confirm"] == "aborted"  # the form then ends at once


def test_start_prefills_service_office_and_date(svc: BookingService) -> None:
    ents = [{"entity": "service_id", "value": PASPOR}]
    texts, slots, _ = run(ActionBookingStart(), tracker("/book_visit", "book_visit", ents))
    assert slots["booking_service"] == PASPOR and slots["booking_office"] == "mpp_tenggarong"
    assert "hanya dilayani di *MPP Kukar Tenggarong*" in texts[0]


def test_list_and_cancel_only_ones_own_bookings(svc: BookingService) -> None:
    mine = svc.book(
        "web:t", "web", "mpp_tenggarong", PASPOR, dt.datetime.combine(MONDAY, dt.time(9), tzinfo=WITA), "Me"
    )
    theirs = svc.book(
        "web:o", "web", "mpp_tenggarong", PASPOR, dt.datetime.combine(MONDAY, dt.time(10), tzinfo=WITA), "Other"
    )
    texts, _, msgs = run(ActionBookingList(), tracker("cek booking", "check_booking"))
    assert f"MPP-{mine.code}" in texts[0] and theirs.code not in texts[0]
    assert {
        "title": f"Batalkan MPP-{mine.code}",
        "payload": f'/cancel_booking{{"kode_booking": "{mine.code}"}}',
    } in msgs[0]["buttons"]
    texts, _, _ = run(ActionBookingCancel(), tracker(f"batal MPP-{theirs.code}", "cancel_booking"))
    assert "tidak ditemukan" in texts[0]
    assert svc.get(theirs.code).status == "active"  # type: ignore[union-attr]
    texts, _, msgs = run(ActionBookingCancel(), tracker(f"batal MPP-{mine.code}", "cancel_booking"))
    assert "Batalkan pemesanan" in texts[0] and svc.get(mine.code).status == "active"  # type: ignore[union-attr]
    ents = [{"entity": "kode_booking", "value": mine.code}, {"entity": "konfirmasi", "value": "ya"}]
    texts, _, _ = run(ActionBookingCancel(), tracker(msgs[0]["buttons"][0]["payload"], "cancel_booking", ents))
    assert "sudah dibatalkan" in texts[0] and svc.get(mine.code).status == "cancelled"  # type: ignore[union-attr]


def test_nearest_office_outside_the_form(svc: BookingService) -> None:
    ents = [{"entity": "lat", "value": -0.44}, {"entity": "lon", "value": 116.99}]
    texts, _, _ = run(ActionNearestOffice(), tracker("/share_location", "share_location", ents))
    assert "MPP Kukar Tenggarong" in texts[0] and "km" in texts[0]
    ents = [{"entity": "lat", "value": -6.2}, {"entity": "lon", "value": 106.8}]  # Jakarta
    texts, _, _ = run(ActionNearestOffice(), tracker("/share_location", "share_location", ents))
    assert "di luar Kutai Kartanegara" in texts[0]


def test_reschedule_starts_from_ones_own_booking_and_moves_it(svc: BookingService) -> None:
    mine = svc.book(
        "web:t", "web", "mpp_tenggarong", PASPOR, dt.datetime.combine(MONDAY, dt.time(9), tzinfo=WITA), "Me"
    )
    ents = [{"entity": "kode_booking", "value": mine.code}]
    texts, slots, _ = run(ActionBookingStart(), tracker("/reschedule_booking", "reschedule_booking", ents))
    assert slots["booking_reschedule"] == mine.code and slots["booking_office"] == "mpp_tenggarong"
    assert f"MPP-{mine.code}" in texts[0]
    other = run(ActionBookingStart(), tracker("ubah jadwal", "reschedule_booking", ents, sender="web:intruder"))
    assert other[1]["booking_confirm"] == "aborted"  # someone else's code: nothing to move
    filled = dict(
        booking_reschedule=mine.code, booking_service=PASPOR, booking_office="mpp_tenggarong",
        booking_date="2026-12-09", booking_time="10:00", booking_name="-", requested_slot="booking_confirm",
    )  # fmt: skip
    _, slots, _ = run(ValidateBookingForm(), tracker("ya", "affirm", **filled))
    assert slots["booking_confirm"] == "done"
    texts, _, _ = run(
        ActionBookingSubmit(), tracker(booking_confirm="done", booking_code=mine.code, booking_reschedule=mine.code)
    )
    assert "sudah diubah ke Rabu, 9 Desember 2026, jam 10.00" in texts[0]
    moved = svc.get(mine.code)
    assert moved is not None and moved.day == dt.date(2026, 12, 9)


def test_start_refuses_when_the_resident_already_holds_the_maximum(svc: BookingService) -> None:
    for hour in (8, 9):
        svc.book(
            "web:t", "web", "mpp_tenggarong", PASPOR, dt.datetime.combine(MONDAY, dt.time(hour), tzinfo=WITA), "Me"
        )
    ents = [{"entity": "service_id", "value": PASPOR}]
    texts, slots, _ = run(ActionBookingStart(), tracker("/book_visit", "book_visit", ents))
    assert "sudah punya 2 pemesanan aktif" in texts[0] and slots["booking_confirm"] == "aborted"
