"""The staff console in a real headless Chromium (Debian's package) against the running assistant.

Sign in with a one-time password, edit a service's requirements, publish, and see the new requirement
in `/api/chat`; resolve an unanswered question and see the question answered; check a booking in.
Screenshots of the main pages go to docs/console/ when MPP_CONSOLE_SCREENSHOTS=1 (refreshing the committed
ones), else to a temporary folder so a test run leaves the tree clean.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mpp.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Read at import, before the `clean_env` fixture empties MPP_* variables.
SHOTS = (
    PROJECT_ROOT / "docs" / "console"
    if os.environ.get("MPP_CONSOLE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "mpp-console-screenshots"
)
NEW_REQUIREMENT = "Fotokopi buku nikah orang tua (uji konsol)"
UNANSWERED = "cara daftar kartu prakerja"


@pytest.fixture(scope="module")
def browser_page(stack_urls: dict[str, str]) -> Iterator[Any]:
    """A Chromium page (phone-wide enough for the console) driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 900}, base_url=stack_urls["gateway"])
        yield page
        browser.close()


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    # The offices page lists all 21 offices: its first screen is enough for the docs.
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=name != "13-offices")


def _ask(gateway: str, sender: str, text: str) -> str:
    r = httpx.post(f"{gateway}/api/chat", json={"sender": sender, "text": text}, timeout=60)
    assert r.status_code == 200, r.text
    msgs = r.json()["messages"]
    return "\n".join([str(m["text"]) for m in msgs] + [str(b["title"]) for m in msgs for b in m["buttons"]])


def _wait_for(gateway: str, sender: str, text: str, needle: str, timeout_s: float = 120) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if needle in _ask(gateway, sender, text):
            return time.monotonic() - started
        time.sleep(1)
    raise AssertionError(f"{needle!r} not in the answer to {text!r} after {timeout_s} s")


def test_console_end_to_end(stack_urls: dict[str, str], browser_page: Any) -> None:
    from mpp.booking import booking_service_for
    from mpp.console.accounts import Role, create_staff
    from mpp.db import engine_for, session_scope

    gateway, page = stack_urls["gateway"], browser_page
    engine = engine_for(stack_urls["database"])
    with session_scope(engine) as db:
        _, otp = create_staff(db, "admin.e2e@mpp.id", Role.ADMIN)

    # Sign in with the one-time password: the console insists on a new one first.
    page.goto("/console/login")
    _shot(page, "01-login")
    page.fill("#email", "admin.e2e@mpp.id")
    page.fill("#password", otp)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/console/password$"))
    page.fill("#current", otp)
    page.fill("#new", "sandi-baru-yang-panjang")
    page.fill("#repeat", "sandi-baru-yang-panjang")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/console/$"))
    assert "Selamat datang" in page.content()
    _shot(page, "02-home")

    # Edit the requirements of KTP-el baru, look at the preview, publish.
    page.goto("/console/services?q=ktp")
    _shot(page, "03-services")
    page.click("a[href='/console/services/ktp_baru']")
    page.click("#edit")
    requirements = page.input_value("#requirements")
    page.fill("#requirements", f"{requirements}\n{NEW_REQUIREMENT}")
    _shot(page, "04-service-edit")
    page.click("#save")
    page.wait_for_url(re.compile(r"/console/services/ktp_baru$"))
    assert NEW_REQUIREMENT in page.inner_text("#draft-preview")
    _shot(page, "05-service-draft-preview")
    page.click("#publish")
    page.wait_for_url(re.compile(r"published=1"))
    seconds = _wait_for(gateway, "console_e2e_a", "syarat bikin ktp baru", NEW_REQUIREMENT)
    print(f"published requirement visible in /api/chat after {seconds:.1f} s")

    # An unanswered question, grouped in the console, linked to a service, then answered.
    before = _ask(gateway, "console_e2e_b", UNANSWERED)
    assert "Kartu Kuning" not in before
    page.goto("/console/unanswered")
    assert UNANSWERED in page.content()
    _shot(page, "06-unanswered")
    group = page.locator(".group", has_text=UNANSWERED).first
    group.locator("select.service-pick").select_option("ak1")
    group.locator("button[value=link]").click()
    page.wait_for_url(re.compile(r"done=1"))
    seconds = _wait_for(gateway, "console_e2e_c", UNANSWERED, "Kartu Kuning")
    print(f"linked question answered after {seconds:.1f} s")

    # A booking of tomorrow-or-later, checked in from the console.
    settings = Settings(DATABASE_URL=stack_urls["database"], MPP_DATA_DIR=PROJECT_ROOT / "var")
    bookings = booking_service_for(settings, engine)
    today = dt.date.today()
    day = bookings.next_open_days("mpp_tenggarong", "ktp_baru", today)[0]
    slot = bookings.free_slots("mpp_tenggarong", "ktp_baru", day)[0]
    booking = bookings.book("web:console_e2e_d", "web", "mpp_tenggarong", "ktp_baru", slot.start, "Budi Santoso")
    page.goto(f"/console/bookings?code=MPP-{booking.code}")
    row = page.locator(f"#booking-{booking.code}")
    assert "terjadwal" in row.inner_text()
    _shot(page, "07-bookings")
    row.locator("button", has_text="Hadir").click()
    page.wait_for_url(re.compile(r"/console/bookings\?office="))
    assert bookings.get(booking.code).status == "checked_in"  # type: ignore[union-attr]

    # The other main pages, for the docs.
    for path, name in [("/console/handoffs", "08-handoffs"), ("/console/reports", "09-reports"),
                       ("/console/staff", "10-staff"), ("/console/audit", "11-audit"),
                       ("/console/offices", "13-offices")]:  # fmt: skip
        page.goto(path)
        _shot(page, name)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/console/services/ktp_baru")
    _shot(page, "12-phone-service")
