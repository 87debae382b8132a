"""Dates and times the way residents write them ("besok", "senin depan", "tgl 5", "jam 9") and the way we answer."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date

__all__ = ["WITA", "DateParse", "format_day", "format_time", "parse_date", "parse_time"]

WITA = ZoneInfo("Asia/Makassar")
_MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "feb": 2, "pebruari": 2, "maret": 3, "mar": 3, "april": 4, "apr": 4,
    "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "agustus": 8, "agu": 8, "agt": 8, "agus": 8,
    "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "november": 11, "nov": 11, "nop": 11,
    "desember": 12, "des": 12, "january": 1, "february": 2, "march": 3, "may": 5, "june": 6, "july": 7,
    "august": 8, "october": 10, "december": 12, "dec": 12, "oct": 10, "aug": 8,
}  # fmt: skip
_WEEKDAYS = {
    "senin": 0, "snin": 0, "selasa": 1, "slasa": 1, "rabu": 2, "kamis": 3, "jumat": 4, "jum'at": 4, "jumaat": 4,
    "sabtu": 5, "minggu": 6, "ahad": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
}  # fmt: skip
# Relative words, with Kutai/Banjar and chat spellings (domain_notes.md: "mpai" = besok).
_RELATIVE = {
    "hari ini": 0, "hr ini": 0, "skrg": 0, "sekarang": 0, "today": 0,
    "besok": 1, "bsk": 1, "besuk": 1, "bsok": 1, "mpai": 1, "mpagi": 1, "tomorrow": 1, "isuk": 1,
    "lusa": 2, "besok lusa": 2,
}  # fmt: skip
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))


@dataclass(frozen=True)
class DateParse:
    """A date found in a message, or why the message's date cannot be one."""

    kind: Literal["date", "invalid", "none"]
    date: dt.date | None = None


def _words(text: str) -> str:
    return " " + re.sub(r"\s+", " ", text.lower().replace(",", " ")).strip() + " "


def _safe(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _upcoming(today: dt.date, month: int, day: int, year: int | None) -> DateParse:
    if year is not None:
        d = _safe(year if year > 100 else 2000 + year, month, day)
        return DateParse("date", d) if d else DateParse("invalid")
    if _safe(2028, month, day) is None:  # not a date in any year (2028 is a leap year)
        return DateParse("invalid")
    for year in range(today.year, today.year + 5):
        d = _safe(year, month, day)
        if d is not None and d >= today:
            return DateParse("date", d)
    return DateParse("invalid")


def parse_date(text: str, today: dt.date) -> DateParse:
    """The date a resident means, relative to today (WITA)."""
    t = _words(text)
    m = re.search(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)", t)
    if m:
        d = _safe(int(m[1]), int(m[2]), int(m[3]))
        return DateParse("date", d) if d else DateParse("invalid")
    m = re.search(r"(?<![\d:.])(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?(?![\d:])", t)
    if m and not re.search(r"(jam|pukul|pk)\s*$", t[: m.start()]):
        return _upcoming(today, int(m[2]), int(m[1]), int(m[3]) if m[3] else None)
    m = re.search(rf"(?<!\d)(\d{{1,2}})\s*({_MONTH_RE})\b\.?(?:\s*(\d{{4}}))?", t)
    if m:
        return _upcoming(today, _MONTHS[m[2]], int(m[1]), int(m[3]) if m[3] else None)
    m = re.search(r"\b(?:tgl|tanggal|tang|tg|tggl|date)\.?\s*(\d{1,3})\b(\s+bulan\s+depan)?", t)
    if m:
        day = int(m[1])
        if not 1 <= day <= 31:
            return DateParse("invalid")
        month, year = today.month, today.year
        if m[2] or day < today.day:
            month, year = (1, year + 1) if month == 12 else (month + 1, year)
        d = _safe(year, month, day)
        return DateParse("date", d) if d else DateParse("invalid")
    named = [wd for word, wd in _WEEKDAYS.items() if re.search(rf"\b{re.escape(word)}\b(?!\s+depan)", t)]
    if re.search(r"\b(minggu|pekan)\s+depan\b", t) and not named:
        return DateParse("date", today + dt.timedelta(days=7 - today.weekday()))
    for word, wd in _WEEKDAYS.items():
        if re.search(rf"\b{re.escape(word)}\b", t):
            ahead = (wd - today.weekday()) % 7 or 7  # "senin" said on a Monday means next Monday
            return DateParse("date", today + dt.timedelta(days=ahead))
    for word, days in sorted(_RELATIVE.items(), key=lambda kv: -len(kv[0])):
        if re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", t):
            return DateParse("date", today + dt.timedelta(days=days))
    if re.search(r"\b(tgl|tanggal)\b", t):
        return DateParse("invalid")
    return DateParse("none")


def parse_time(text: str) -> dt.time | None:
    """A clock time in a message: "09:30", "jam 9", "9.30", "pukul 10 pagi", "jam 1 siang"."""
    t = _words(text)
    m = re.search(r"(?<![\d/])(\d{1,2})[:.](\d{2})(?![\d/.])", t)
    if m is None:
        m = re.search(r"\b(?:jam|jm|pukul|pkl|pk)\s*(\d{1,2})(?:\s*[:.]\s*(\d{2}))?", t)
    if m is None:
        return None
    hour, minute = int(m[1]), int(m[2] or 0)
    if re.search(r"\b(siang|sore)\b", t) and 1 <= hour <= 6:
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return dt.time(hour, minute)


def format_day(day: dt.date) -> str:
    """Senin, 7 Desember 2026."""
    return format_date(day, "EEEE, d MMMM y", locale="id")


def format_time(moment: dt.time | dt.datetime) -> str:
    """09.30 (Indonesian clock style)."""
    return f"{moment:%H.%M}"
