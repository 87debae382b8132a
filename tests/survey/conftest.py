"""A migrated database per test: SQLite in a temporary folder, and PostgreSQL in a schema of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from mpp.db import engine_for, migrate
from tests.auxil.db import postgres_engine


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.needs_postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The survey store on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        eng = engine_for(f"sqlite:///{tmp_path / 'survey.db'}")
        migrate(eng)
        yield eng
        eng.dispose()
    else:
        yield from postgres_engine("survey")
