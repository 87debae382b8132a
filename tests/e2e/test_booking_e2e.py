"""Booking through `POST /api/chat` against the real Rasa server and action server."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.slow


def texts(msgs: list[dict[str, Any]]) -> str:
    return "\n".join(str(m["text"]) for m in msgs)


def buttons(msgs: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [b for m in msgs for b in m["buttons"]]


def test_book_check_and_cancel_a_passport_visit(chat: Any) -> None:
    start = chat("mau booking jadwal bikin paspor baru")
    assert "hanya dilayani di *MPP Kukar Tenggarong*" in texts(start)
    assert "tanggal berapa" in texts(start)
    days = buttons(start)
    assert days and all(re.match(r"(Senin|Rabu), ", b["title"]) for b in days)  # immigration: Monday, Wednesday
    times = chat(days[0]["payload"])
    assert "Pilih jam kedatangan" in texts(times)
    slot = buttons(times)[0]
    assert re.fullmatch(r"\d\d\.\d\d", slot["title"]) and slot["title"] < "12.00"
    assert "Atas nama siapa" in texts(chat(slot["payload"]))
    summary = chat("siti aminah")
    assert "Atas nama: Siti Aminah" in texts(summary) and "MPP Kukar Tenggarong" in texts(summary)
    done = texts(chat(buttons(summary)[0]["payload"]))
    assert "Pemesanan berhasil" in done and "KTP-el asli" in done
    code = re.search(r"MPP-[A-Z0-9]{6}", done)
    assert code is not None
    listed = chat("cek booking saya")
    assert code[0] in texts(listed)
    cancel = next(b for b in buttons(listed) if b["title"].startswith("Batalkan"))
    confirm = chat(cancel["payload"])
    assert "Batalkan pemesanan" in texts(confirm)
    assert "sudah dibatalkan" in texts(chat(buttons(confirm)[0]["payload"]))
    assert "belum punya pemesanan aktif" in texts(chat("cek booking"))


def test_a_shared_location_picks_the_nearest_mini_mpp(chat: Any) -> None:
    start = chat("mau ambil antrean buat urus kartu keluarga")
    assert "layanan yang mana" in texts(start)  # KK has siblings: lost, changed, legalised
    kk = next(b for b in buttons(start) if "kk_perubahan" in b["payload"])
    assert "desa/kelurahan atau kecamatan" in texts(chat(kk["payload"]))
    reply = texts(chat(location={"lat": -0.2702, "lon": 116.6101}))  # about 1 km from Mini MPP Kota Bangun
    assert "Mini MPP Kota Bangun" in reply and "km" in reply
    assert "tanggal berapa" in reply
    stop = texts(chat("gak jadi"))
    assert "tidak dilanjutkan" in stop


def test_bad_dates_are_refused_with_a_reason(chat: Any) -> None:
    chat("mau booking bikin paspor baru")
    assert "tidak ada di kalender" in texts(chat("tanggal 35"))
    assert "hari libur" in texts(chat("25 desember")) or "30 hari" in texts(chat("25 desember"))
    assert "tidak dilayani" in texts(chat("selasa"))


def test_location_outside_a_booking_names_the_nearest_offices(chat: Any) -> None:
    reply = texts(chat(location={"lat": -0.44, "lon": 116.99}))
    assert "Kantor terdekat" in reply and "MPP Kukar Tenggarong" in reply
