"""Dates and times the way residents write them."""

from __future__ import annotations

import datetime as dt

import pytest

from mpp.booking.codes import display_code, normalise_code
from mpp.booking.dates import format_day, format_time, parse_date, parse_time

FRIDAY = dt.date(2026, 12, 4)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("besok", dt.date(2026, 12, 5)),
        ("bsk aja", dt.date(2026, 12, 5)),
        ("mpai", dt.date(2026, 12, 5)),  # Kutai for "besok"
        ("lusa", dt.date(2026, 12, 6)),
        ("hari ini", FRIDAY),
        ("senin depan", dt.date(2026, 12, 7)),
        ("senin", dt.date(2026, 12, 7)),
        ("jumat", dt.date(2026, 12, 11)),  # said on a Friday: next Friday
        ("rabu minggu depan", dt.date(2026, 12, 9)),
        ("minggu depan", dt.date(2026, 12, 7)),
        ("tgl 5", dt.date(2026, 12, 5)),
        ("tanggal 2", dt.date(2027, 1, 2)),  # already past this month
        ("tgl 5 bulan depan", dt.date(2027, 1, 5)),
        ("5 desember", dt.date(2026, 12, 5)),
        ("12 jan", dt.date(2027, 1, 12)),
        ("5/1", dt.date(2027, 1, 5)),
        ("07-12-2026", dt.date(2026, 12, 7)),
        ("2026-12-10", dt.date(2026, 12, 10)),
    ],
)
def test_dates(text: str, expected: dt.date) -> None:
    assert parse_date(text, FRIDAY).date == expected


@pytest.mark.parametrize("text", ["tanggal 35", "tgl 0", "31/2", "31 april", "30 februari"])
def test_nonsense_dates_are_invalid(text: str) -> None:
    assert parse_date(text, FRIDAY).kind == "invalid"


@pytest.mark.parametrize("text", ["jam 9", "Budi", "loa kulu", "ya"])
def test_no_date(text: str) -> None:
    assert parse_date(text, FRIDAY).kind == "none"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jam 9", dt.time(9)),
        ("09.30", dt.time(9, 30)),
        ("10:00", dt.time(10)),
        ("jam 1 siang", dt.time(13)),
        ("ya", None),
    ],
)
def test_times(text: str, expected: dt.time | None) -> None:
    assert parse_time(text) == expected


def test_indonesian_formatting() -> None:
    assert format_day(dt.date(2026, 12, 7)) == "Senin, 7 Desember 2026"
    assert format_time(dt.time(9, 30)) == "09.30"


def test_codes_are_read_back_from_what_residents_type() -> None:
    assert normalise_code("batal mpp-k7m3qx ya") == "K7M3QX"
    assert normalise_code("kode K7M3QX") == "K7M3QX"
    assert normalise_code("batal tempat") is None  # a six-letter word is not a code
    assert display_code("K7M3QX") == "MPP-K7M3QX"
