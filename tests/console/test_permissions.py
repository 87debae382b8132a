"""Every console route × every role (table-driven), and tenant isolation between editors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mpp.console.catalogue import retire_service
from mpp.db import session_scope
from tests.console.conftest import Console, add_team, make_console

ALL = {"admin", "editor", "operator", "viewer"}
EDIT = {"admin", "editor"}
OPS = {"admin", "operator"}
REPORTS = {"admin", "viewer"}
ADMIN = {"admin"}
AS = {"admin": "admin@mpp.id", "editor": "dukcapil@mpp.id", "operator": "operator@mpp.id", "viewer": "viewer@mpp.id"}

# (method, path, allowed roles, form or JSON body); {audit} is an audit entry of a disdukcapil service.
ROUTES: list[tuple[str, str, set[str], dict[str, Any] | None]] = [
    ("GET", "/console/", ALL, None),
    ("GET", "/console/password", ALL, None),
    ("POST", "/console/password", ALL, {"current": "salah-salah-salah", "new": "x" * 12, "repeat": "x" * 12}),
    ("POST", "/console/logout", ALL, {}),
    ("POST", "/console/logout-all", ALL, {}),
    ("GET", "/console/services", EDIT, None),
    ("GET", "/console/services?q=ktp", EDIT, None),
    ("GET", "/console/services/new", EDIT, None),
    ("POST", "/console/services/new", EDIT, {"id": "x_baru", "tenant": "disdukcapil", "name": "X"}),
    ("GET", "/console/services/ktp_baru", EDIT, None),
    ("GET", "/console/services/ktp_baru/edit", EDIT, None),
    ("POST", "/console/services/ktp_baru/edit", EDIT, {"name": ""}),
    ("POST", "/console/services/ktp_baru/publish", EDIT, {}),
    ("POST", "/console/services/ktp_baru/discard", EDIT, {}),
    ("POST", "/console/services/ktp_baru/retire", EDIT, {"retired": "0"}),
    ("GET", "/console/catalogue/disdukcapil.yaml", EDIT, None),
    ("POST", "/console/catalogue/import", ADMIN, {"files": ("x.yaml", b"tenant: [", "application/x-yaml")}),
    ("GET", "/console/api/services", EDIT, None),
    ("GET", "/console/api/services/ktp_baru", EDIT, None),
    ("PUT", "/console/api/services/ktp_baru/draft", EDIT, {"json": {}}),
    ("POST", "/console/api/services/ktp_baru/publish", EDIT, {"json": None}),
    ("GET", "/console/unanswered", EDIT, None),
    ("GET", "/console/api/unanswered", EDIT, None),
    ("POST", "/console/unanswered/resolve", EDIT, {"ids": "999999", "action": "dismiss"}),
    ("GET", "/console/audit", EDIT, None),
    ("GET", "/console/audit/{audit}", EDIT, None),
    ("POST", "/console/audit/{audit}/revert", EDIT, {}),
    ("GET", "/console/handoffs", OPS, None),
    ("GET", "/console/handoffs/999999", OPS, None),
    ("POST", "/console/handoffs/999999/take", OPS, {}),
    ("POST", "/console/handoffs/999999/reply", OPS, {"text": "halo"}),
    ("POST", "/console/handoffs/999999/close", OPS, {}),
    ("GET", "/console/bookings", OPS, None),
    ("GET", "/console/bookings.csv", OPS, None),
    ("POST", "/console/bookings/ZZZZZZ/checkin", OPS, {}),
    ("POST", "/console/bookings/ZZZZZZ/no-show", OPS, {}),
    ("POST", "/console/bookings/ZZZZZZ/cancel", OPS, {"reason": "petugas berhalangan"}),
    ("GET", "/console/closures", OPS, None),
    ("GET", "/console/offices", OPS, None),
    (
        "POST",
        "/console/offices/mpp_tenggarong",
        OPS,
        {"counters": "2", "slot_minutes": "30", "hours_mon": "08:00-15:00"},
    ),
    (
        "POST",
        "/console/offices/rules/0",
        OPS,
        {"weekdays": ["mon", "wed"], "hours": "08:00-12:00", "daily_quota": "30"},
    ),
    ("POST", "/console/closures", OPS, {"office_id": "mpp_tenggarong", "day": "2000-01-01", "reason": "banjir"}),
    ("GET", "/console/reports", REPORTS, None),
    ("POST", "/console/complaints/999999", ADMIN, {"status": "closed"}),
    ("GET", "/console/staff", ADMIN, None),
    ("POST", "/console/staff", ADMIN, {"email": "bukan-email", "role": "viewer"}),
    ("POST", "/console/staff/999999/reset", ADMIN, {}),
    ("POST", "/console/staff/999999/active", ADMIN, {"active": "0"}),
    ("GET", "/console/privacy", ADMIN, None),
    ("POST", "/console/privacy/delete", ADMIN, {"sender": "web:nobody"}),
]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def matrix_console(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """One app for the whole matrix (fresh sessions per request)."""
    from tests.console.conftest import _drop_pg, _pg_url

    tmp = tmp_path_factory.mktemp("perm")
    schema = f"console_perm_{request.param}_{id(tmp) % 100000}"
    url = f"sqlite:///{tmp / 'perm.db'}" if request.param == "sqlite" else _pg_url(schema)
    if url is None:
        pytest.skip("TEST_POSTGRES_URL not set")
    try:
        for c in make_console(tmp, url):
            add_team(c)
            with session_scope(c.state.engine) as db:
                c.audit_id = retire_service(db, "admin@mpp.id", "ktp_baru", c.settings.catalogue_dir, retired=False).id  # type: ignore[attr-defined]
            yield c
    finally:
        if request.param == "postgres":
            _drop_pg(schema)


def _call(c: Console, method: str, path: str, body: dict[str, Any] | None, csrf: str) -> Any:
    path = path.replace("{audit}", str(c.audit_id))  # type: ignore[attr-defined]
    if method == "GET":
        return c.client.get(path, follow_redirects=False)
    body = dict(body or {})
    if "json" in body:
        return c.client.request(method, path, json=body["json"], headers={"X-CSRF-Token": csrf}, follow_redirects=False)
    if "files" in body:
        return c.client.post(path, data={"csrf_token": csrf}, files={"files": body["files"]}, follow_redirects=False)
    return c.client.request(method, path, data={**body, "csrf_token": csrf}, follow_redirects=False)


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize(("method", "path", "allowed", "body"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_route_role(
    matrix_console: Console, role: str, method: str, path: str, allowed: set[str], body: dict[str, Any] | None
) -> None:
    csrf = matrix_console.act_as(AS[role])
    r = _call(matrix_console, method, path, body, csrf)
    if role in allowed:
        assert r.status_code not in (401, 403), (role, method, path, r.status_code, r.text[:300])
        assert r.status_code < 500
    else:
        assert r.status_code == 403, (role, method, path, r.status_code)


@pytest.mark.parametrize(("method", "path", "allowed", "body"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_route_signed_out(matrix_console: Console, method: str, path: str, allowed: set[str], body: Any) -> None:
    matrix_console.act_as(None)
    r = _call(matrix_console, method, path, body, "")
    if path.startswith("/console/api/"):
        assert r.status_code == 401
    else:
        assert r.status_code == 303 and r.headers["location"] == "/console/login"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/console/services/ktp_baru", None),
        ("GET", "/console/services/ktp_baru/edit", None),
        ("POST", "/console/services/ktp_baru/edit", {"name": "Diubah"}),
        ("POST", "/console/services/ktp_baru/publish", {}),
        ("POST", "/console/services/ktp_baru/retire", {"retired": "1"}),
        ("GET", "/console/catalogue/disdukcapil.yaml", None),
        ("GET", "/console/api/services/ktp_baru", None),
        ("PUT", "/console/api/services/ktp_baru/draft", {"json": {"name": "x"}}),
        ("POST", "/console/services/new", {"id": "ktp_lain", "tenant": "disdukcapil", "name": "X"}),
        ("GET", "/console/audit/{audit}", None),
        ("POST", "/console/audit/{audit}/revert", {}),
        ("POST", "/console/unanswered/resolve", {"ids": "1", "action": "link", "service_id": "ktp_baru"}),
    ],
)
def test_editor_cannot_touch_another_tenant(matrix_console: Console, method: str, path: str, body: Any) -> None:
    csrf = matrix_console.act_as("samsat@mpp.id")
    if "unanswered" in path:
        from mpp.console.unanswered import record_unanswered

        with session_scope(matrix_console.state.engine) as db:
            row = record_unanswered(db, "web:x", "pertanyaan")
            assert row is not None
            body = {**body, "ids": str(row.id)}
    assert _call(matrix_console, method, path, body, csrf).status_code == 403


def test_editor_lists_only_own_tenant(matrix_console: Console) -> None:
    matrix_console.act_as("samsat@mpp.id")
    services = matrix_console.client.get("/console/api/services").json()["services"]
    assert services and {s["tenant"] for s in services} == {"samsat"}
    page = matrix_console.client.get("/console/services?q=ktp").text
    assert "ktp_baru" not in page
    assert "ktp_baru" not in matrix_console.client.get("/console/audit").text


def test_privacy_of_phone_numbers_in_handoff_queue(matrix_console: Console, tmp_path: Path) -> None:
    from mpp.models import Handoff

    with session_scope(matrix_console.state.engine) as db:
        db.add(Handoff(sender="whatsapp:+6281255554444", channel="whatsapp", reason="request", last_message="x"))
    matrix_console.act_as("operator@mpp.id")
    assert "+6281255554444" in matrix_console.client.get("/console/handoffs").text


def test_every_console_route_is_in_the_table(matrix_console: Console) -> None:
    from fastapi.routing import APIRoute

    def routes(router: Any) -> Iterator[APIRoute]:
        for r in router.routes:
            if isinstance(r, APIRoute):
                yield r
            elif hasattr(r, "original_router"):  # FastAPI's included routers
                yield from routes(r.original_router)

    public = {("GET", "/console/login"), ("POST", "/console/login")}
    tested = [(m, re.sub(r"\?.*", "", p)) for m, p, _, _ in ROUTES]
    seen = 0
    for route in routes(matrix_console.client.app.router):  # type: ignore[attr-defined]
        if not route.path.startswith("/console"):
            continue
        for method in route.methods - {"HEAD"}:
            seen += 1
            covered = (method, route.path) in public or any(m == method and _matches(route.path, p) for m, p in tested)
            assert covered, f"{method} {route.path} has no row in ROUTES"
    assert seen > 40


def _matches(template: str, path: str) -> bool:
    pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
    return re.match(pattern, path) is not None
