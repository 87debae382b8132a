"""Sign-in, one-time passwords, lockout, rate limit, cookies, CSRF, sign-out everywhere, both session stores."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mpp.console.accounts import MAX_FAILURES, Role, create_staff
from mpp.db import session_scope
from tests.console.conftest import PASSWORD, Console, make_console


def test_sign_in_sets_a_safe_session_cookie(console: Console) -> None:
    r = console.login("admin@mpp.id")
    assert r.status_code == 303 and r.headers["location"] == "/console/"
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("mpp_console="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/console" in cookie
    home = console.client.get("/console/")
    assert home.status_code == 200 and "Selamat datang" in home.text
    assert home.headers["x-frame-options"] == "DENY" and "default-src 'self'" in home.headers["content-security-policy"]


def test_cookie_is_secure_by_default(clean_env: Path) -> None:
    for c in make_console(clean_env, f"sqlite:///{clean_env / 's.db'}", CONSOLE_COOKIE_SECURE=True):
        r = c.client.get("/console/login")
        assert "Secure" in r.headers["set-cookie"]


def test_wrong_password_and_lockout(console: Console) -> None:
    for _ in range(MAX_FAILURES - 1):
        r = console.login("viewer@mpp.id", "salah-salah-salah")
        assert r.status_code == 401 and "salah" in r.text
    assert "dikunci" in console.login("viewer@mpp.id", "salah-salah-salah").text
    r = console.login("viewer@mpp.id")  # right password, but locked now
    assert r.status_code == 401 and "dikunci" in r.text


def test_login_rate_limit(console: Console) -> None:
    codes = [console.login("nobody@mpp.id", "x" * 12).status_code for _ in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]


def test_login_form_needs_its_csrf_token(console: Console) -> None:
    console.client.get("/console/login")
    r = console.client.post("/console/login", data={"email": "admin@mpp.id", "password": PASSWORD, "csrf_token": "x"})
    assert r.status_code == 403


def test_one_time_password_must_be_changed(console: Console) -> None:
    with session_scope(console.state.engine) as db:
        user, otp = create_staff(db, "Baru@MPP.id", Role.VIEWER)
        console.users["baru@mpp.id"] = user.id
    r = console.login("baru@mpp.id", otp)
    assert r.headers["location"] == "/console/password"
    assert console.client.get("/console/", follow_redirects=False).headers["location"] == "/console/password"
    assert console.client.get("/console/api/services").status_code == 403
    page = console.client.get("/console/password")
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    short = {"current": otp, "new": "pendek", "repeat": "pendek", "csrf_token": csrf}
    assert "minimal 12" in console.client.post("/console/password", data=short).text
    ok = {"current": otp, "new": "kata-sandi-baru-123", "repeat": "kata-sandi-baru-123", "csrf_token": csrf}
    r = console.client.post("/console/password", data=ok, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/"
    assert console.client.get("/console/").status_code == 200
    assert console.login("baru@mpp.id", otp).status_code == 401
    assert console.login("baru@mpp.id", "kata-sandi-baru-123").headers["location"] == "/console/"


def test_forms_need_the_session_csrf_token(console: Console) -> None:
    csrf = console.act_as("admin@mpp.id")
    assert console.client.post("/console/logout", data={"csrf_token": "wrong"}).status_code == 403
    assert console.client.post("/console/logout", data={}).status_code == 403
    r = console.client.post("/console/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert console.client.get("/console/", follow_redirects=False).headers["location"] == "/console/login"


def test_sign_out_everywhere_ends_every_session(console: Console) -> None:
    csrf_a = console.act_as("admin@mpp.id")
    cookie_a = console.client.cookies.get("mpp_console")
    console.act_as("admin@mpp.id")
    cookie_b = console.client.cookies.get("mpp_console")
    assert console.client.get("/console/").status_code == 200
    console.client.cookies.set("mpp_console", cookie_a, path="/console")
    console.client.post("/console/logout-all", data={"csrf_token": csrf_a})
    for cookie in (cookie_a, cookie_b):
        console.client.cookies.set("mpp_console", cookie, path="/console")
        assert console.client.get("/console/", follow_redirects=False).status_code == 303


def test_api_answers_401_when_signed_out(console: Console) -> None:
    console.act_as(None)
    assert console.client.get("/console/api/services").status_code == 401


@pytest.mark.needs_redis
def test_sessions_live_in_redis_when_configured(clean_env: Path) -> None:
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    import redis

    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError:
        pytest.skip("no Redis")
    for c in make_console(clean_env, f"sqlite:///{clean_env / 'r.db'}", redis_url=url):
        c.add_staff("admin@mpp.id", Role.ADMIN)
        assert type(c.state.sessions).__name__ == "RedisSessionStore"
        assert c.login("admin@mpp.id").status_code == 303
        assert c.client.get("/console/").status_code == 200
        with session_scope(c.state.engine) as db:
            from sqlalchemy import func, select

            from mpp.console.models import StaffSession

            assert db.scalar(select(func.count()).select_from(StaffSession)) == 0
