"""Migrated test databases: SQLite in a temporary folder, PostgreSQL in a private schema."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from mpp.db import engine_for, migrate

__all__ = ["POSTGRES_URL", "postgres_engine", "sqlite_engine"]

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")


def sqlite_engine(folder: Path) -> Iterator[Engine]:
    """A migrated SQLite database file in `folder`."""
    eng = engine_for(f"sqlite:///{folder / 'test.db'}")
    migrate(eng)
    yield eng
    eng.dispose()


def postgres_engine(prefix: str, pool_size: int = 8) -> Iterator[Engine]:
    """A migrated private schema of the test PostgreSQL database, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip("TEST_POSTGRES_URL not set")
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = create_engine(
        POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"}, pool_size=pool_size, max_overflow=10
    )
    try:
        migrate(eng)
        yield eng
    finally:
        eng.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
