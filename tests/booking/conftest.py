"""A booking service on a fixed clock (Friday 4 December 2026, 10.00 WITA), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine

from knowledge_base.catalogue import load_catalogue
from knowledge_base.offices import DATA, OfficeDirectory, load_offices
from knowledge_base.schema import Catalogue
from mpp.booking import BookingService
from mpp.booking.dates import WITA
from mpp.settings import Settings
from tests.auxil.db import postgres_engine, sqlite_engine

NOW = dt.datetime(2026, 12, 4, 10, 0, tzinfo=WITA)  # a Friday
MONDAY = dt.date(2026, 12, 7)


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The real catalogue (read once per test run)."""
    return load_catalogue(Settings().catalogue_dir)


def directory_with(tmp_path: Path, **office_changes: object) -> OfficeDirectory:
    """The real offices.yaml with MPP Tenggarong's fields changed (e.g. counters=10)."""
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    for office in raw["offices"]:
        if office["id"] == "mpp_tenggarong":
            office.update(office_changes)
    path = tmp_path / "offices.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return load_offices(catalogue(), path)


class Clock:
    """A settable clock."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    """The test clock, at NOW."""
    return Clock(NOW)


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The booking store on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield from sqlite_engine(tmp_path)
    else:
        yield from postgres_engine("booking", pool_size=40)


@pytest.fixture
def make_service(engine: Engine, clock: Clock, tmp_path: Path) -> Callable[..., BookingService]:
    """Build a BookingService on the test engine and clock (office fields overridable)."""

    def make(max_active: int = 2, horizon_days: int = 30, **office_changes: object) -> BookingService:
        directory = directory_with(tmp_path, **office_changes) if office_changes else load_offices(catalogue())
        return BookingService(directory, engine, max_active=max_active, horizon_days=horizon_days, clock=clock)

    return make
