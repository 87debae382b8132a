"""Console fixtures: a small catalogue, the gateway app on SQLite or PostgreSQL, staff of every role."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from channels.app import create_app
from channels.console._deps import COOKIE
from mpp.console._passwords import hash_password
from mpp.console.accounts import Role
from mpp.console.models import StaffUser
from mpp.db import engine_for, session_scope
from mpp.settings import PROJECT_ROOT, Settings
from tests.auxil.catalogue import TENANT, service, write_tenant

PASSWORD = "rahasia-yang-panjang-1"
SAMSAT = {**TENANT, "id": "samsat", "name": "Samsat Kukar", "short_name": "Samsat"}


def write_catalogue(directory: Path) -> Path:
    """Two tenants, three services."""
    write_tenant(
        directory,
        TENANT,
        [
            service("ktp_baru", "KTP-el baru", aliases=["bikin ktp baru", "rekam ktp"], requirements=["KK asli"]),
            service(
                "akta_kelahiran", "Akta kelahiran", aliases=["akte lahir"], requirements=["Surat keterangan lahir"]
            ),
        ],
    )
    write_tenant(
        directory, SAMSAT, [service("pajak_kendaraan", "Pajak kendaraan tahunan", aliases=["bayar pajak motor"])]
    )
    return directory


def _pg_url(schema: str) -> str | None:
    base = os.environ.get("TEST_POSTGRES_URL")
    if not base:
        return None
    admin = engine_for(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def _drop_pg(schema: str) -> None:
    admin = engine_for(os.environ["TEST_POSTGRES_URL"])
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@dataclass
class Console:
    """A running console app with helpers to act as staff."""

    client: TestClient
    settings: Settings
    users: dict[str, int] = field(default_factory=dict)

    @property
    def state(self) -> Any:
        """The console's state (engine, sessions)."""
        return self.client.app.state.console  # type: ignore[attr-defined]

    def add_staff(
        self, email: str, role: Role, tenants: list[str] | None = None, offices: list[str] | None = None
    ) -> int:
        """An account with a known password that needs no change."""
        with session_scope(self.state.engine) as db:
            user = StaffUser(
                email=email, role=role.value, tenant_ids=tenants or [], office_ids=offices or [],
                password_hash=hash_password(PASSWORD), must_change_password=False, failed_count=0,
                session_epoch=0, active=True,
            )  # fmt: skip
            db.add(user)
            db.flush()
            self.users[email] = user.id
            return user.id

    def act_as(self, email: str | None) -> str:
        """Use a fresh session of this account (None: signed out); returns its CSRF token."""
        self.client.cookies.clear()
        if email is None:
            return ""
        with session_scope(self.state.engine) as db:
            user = db.get(StaffUser, self.users[email])
            assert user is not None
            epoch = user.session_epoch
        token, data = self.state.sessions.create(self.users[email], epoch)
        self.client.cookies.set(COOKIE, token, path="/console")
        return data.csrf

    def login(self, email: str, password: str = PASSWORD) -> Any:
        """Sign in through the form, as a browser would."""
        self.client.cookies.clear()
        page = self.client.get("/console/login")
        csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        return self.client.post(
            "/console/login", data={"email": email, "password": password, "csrf_token": csrf}, follow_redirects=False
        )


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database: SQLite file, or a PostgreSQL schema of its own (TEST_POSTGRES_URL)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'console.db'}"
        return
    schema = f"console_{uuid.uuid4().hex[:10]}"
    url = _pg_url(schema)
    if url is None:
        pytest.skip("TEST_POSTGRES_URL not set")
    yield url
    _drop_pg(schema)


def make_console(tmp_path: Path, db_url: str, redis_url: str | None = None, **extra: Any) -> Iterator[Console]:
    """Start the gateway app with the console on this database."""
    values: dict[str, Any] = {
        "MPP_DATA_DIR": tmp_path / "var",
        "DATABASE_URL": db_url,
        # The real catalogue: the gateway's booking side checks its offices against it.
        "MPP_CATALOGUE_DIR": PROJECT_ROOT / "knowledge_base" / "data" / "tenants",
        "CONSOLE_COOKIE_SECURE": False,
        "RASA_URL": "http://127.0.0.1:9",
        "REDIS_URL": redis_url,
        **extra,
    }
    settings = Settings(**values)
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        client.get("/console/login")  # builds the console state (migrates)
        yield Console(client, settings)


@pytest.fixture
def console(clean_env: Path, db_url: str) -> Iterator[Console]:
    """The console app with an admin, two editors (one per tenant), an operator and a viewer."""
    for c in make_console(clean_env, db_url):
        add_team(c)
        yield c


def add_team(c: Console) -> None:
    """An admin, two editors (Disdukcapil, Samsat), an operator of MPP Tenggarong and a viewer."""
    c.add_staff("admin@mpp.id", Role.ADMIN)
    c.add_staff("dukcapil@mpp.id", Role.EDITOR, ["disdukcapil"])
    c.add_staff("samsat@mpp.id", Role.EDITOR, ["samsat"])
    c.add_staff("operator@mpp.id", Role.OPERATOR, offices=["mpp_tenggarong"])
    c.add_staff("viewer@mpp.id", Role.VIEWER)
