"""Shared fixtures: test settings never touch the developer's var/ or .env."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
_SETTING_KEYS = {
    "SECRET_KEY", "STAFF_API_TOKEN", "DATABASE_URL", "REDIS_URL", "RASA_URL", "ACTION_SERVER_PORT",
    "LOG_LEVEL", "PUBLIC_BASE_URL",
}  # fmt: skip


def load_fixture(name: str) -> Any:
    """Parse a JSON fixture from tests/fixtures."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """An environment without MPP settings, with the data dir in a temporary folder."""
    import os

    from mpp.settings import get_settings

    for key in list(os.environ):
        if key.startswith(("MPP_", "TELEGRAM_", "TWILIO_", "GATEWAY_")) or key in _SETTING_KEYS:
            monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("MPP_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
