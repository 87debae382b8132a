"""Office settings from the console: hours, counters, slot length, schedule quotas; revert; bookings follow."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from knowledge_base.catalogue import load_catalogue
from knowledge_base.schema import Catalogue
from mpp.console.catalogue import CatalogueChangeError, catalogue_version
from mpp.console.offices import load_effective_offices, publish_office, publish_rule, revert_office_change
from mpp.db import engine_for, migrate, session_scope
from mpp.settings import PROJECT_ROOT
from tests.console.conftest import Console

CATALOGUE = PROJECT_ROOT / "knowledge_base" / "data" / "tenants"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Engine, Catalogue]]:
    """A migrated SQLite database and the real catalogue (the offices file names its services)."""
    eng = engine_for(f"sqlite:///{tmp_path / 'o.db'}")
    migrate(eng)
    yield eng, load_catalogue(CATALOGUE)
    eng.dispose()


def test_publish_office_settings_and_revert(store: tuple[Engine, Catalogue]) -> None:
    eng, cat = store
    with session_scope(eng) as db:
        base = load_effective_offices(db, cat).get("mini_loa_kulu")
        assert base is not None
        entry = publish_office(
            db, "op@mpp.id", "mini_loa_kulu", {"hours": {"mon": "09:00-12:00"}, "counters": 4, "slot_minutes": 20}, cat
        )
        assert catalogue_version(db) == 1
        office = load_effective_offices(db, cat).get("mini_loa_kulu")
        assert office is not None and office.counters == 4 and office.slot_minutes == 20
        assert list(office.hours) == ["mon"] and office.hours["mon"].label() == "09.00–12.00"
        revert_office_change(db, "admin@mpp.id", entry, cat)
        assert load_effective_offices(db, cat).get("mini_loa_kulu") == base


def test_invalid_settings_are_refused(store: tuple[Engine, Catalogue]) -> None:
    eng, cat = store
    with session_scope(eng) as db:
        for values in ({"hours": {"mon": "15:00-08:00"}}, {"counters": 0}, {"hours": {"senin": "08:00-12:00"}}):
            with pytest.raises(CatalogueChangeError):
                publish_office(db, "op@mpp.id", "mini_loa_kulu", values, cat)
        with pytest.raises(CatalogueChangeError):
            publish_office(db, "op@mpp.id", "tidak_ada", {"counters": 2}, cat)


def test_schedule_quota_and_weekdays(store: tuple[Engine, Catalogue]) -> None:
    eng, cat = store
    with session_scope(eng) as db:
        directory = load_effective_offices(db, cat)
        office = directory.get("mpp_tenggarong")
        paspor = directory.service("paspor_baru")
        assert office is not None and paspor is not None and directory.daily_quota(office, paspor) == 30
        publish_rule(db, "op@mpp.id", 0, {"weekdays": ["tue"], "hours": "08:00-12:00", "daily_quota": 12}, cat)
        directory = load_effective_offices(db, cat)
        assert directory.daily_quota(office, paspor) == 12 and directory.rules[0].weekdays == ("tue",)
        publish_rule(db, "op@mpp.id", 0, {"daily_quota": None}, cat)
        assert load_effective_offices(db, cat).daily_quota(office, paspor) is None


def test_console_page_changes_bookings_at_once(console: Console) -> None:
    csrf = console.act_as("operator@mpp.id")
    assert "MPP Kukar Tenggarong" in console.client.get("/console/offices").text
    form = {"csrf_token": csrf, "counters": "5", "slot_minutes": "15", "hours_mon": "08.00-12.00"}
    r = console.client.post("/console/offices/mpp_tenggarong", data=form, follow_redirects=False)
    assert r.status_code == 303
    office = console.client.app.state.bookings.directory.get("mpp_tenggarong")  # type: ignore[attr-defined]
    assert office.counters == 5 and office.slot_minutes == 15 and list(office.hours) == ["mon"]
    bad = {**form, "hours_mon": "12:00-08:00"}
    assert console.client.post("/console/offices/mpp_tenggarong", data=bad).status_code == 422
    assert console.client.post("/console/offices/mini_loa_kulu", data=form).status_code == 403


def test_gateway_follows_publishes_from_other_processes_and_after_a_restart(clean_env: Path, db_url: str) -> None:
    """Reminders and the office pages read the gateway's booking directory: it must never fall back to YAML."""
    from mpp.console.catalogue import retire_service
    from tests.auxil.fake_http import wait_until
    from tests.console.conftest import add_team, make_console

    for c in make_console(clean_env, db_url):
        add_team(c)
        csrf = c.act_as("operator@mpp.id")
        form = {"csrf_token": csrf, "counters": "5", "slot_minutes": "15", "hours_mon": "08.00-12.00"}
        assert c.client.post("/console/offices/mpp_tenggarong", data=form, follow_redirects=False).status_code == 303
        bookings = c.client.app.state.bookings  # type: ignore[attr-defined]
        assert bookings.directory.service("paspor_baru") is not None
        # Another process (the action server's console session, a CLI import) retires a service.
        with session_scope(c.state.engine) as db:
            retire_service(db, "admin@mpp.id", "paspor_baru", CATALOGUE)
        assert wait_until(lambda b=bookings: b.directory.service("paspor_baru") is None, timeout_s=15)
    for c in make_console(clean_env, db_url):  # a restart on the same database
        directory = c.client.app.state.bookings.directory  # type: ignore[attr-defined]
        office = directory.get("mpp_tenggarong")
        assert office is not None and office.counters == 5 and list(office.hours) == ["mon"]
        assert directory.service("paspor_baru") is None
