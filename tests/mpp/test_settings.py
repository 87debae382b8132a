from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from mpp.settings import Settings


def test_embedded_defaults(clean_env: Path) -> None:
    s = Settings()
    assert s.environment == "development"
    assert s.sqlalchemy_url == f"sqlite:///{clean_env / 'var' / 'mpp.db'}"
    assert s.redis_url is None
    assert s.gateway_host == "127.0.0.1"


def test_default_secret_refused_outside_development(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPP_ENV", "production")
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings()
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-of-32-characters!!")
    monkeypatch.setenv("STAFF_API_TOKEN", "another-real-secret-value-123456")
    assert Settings().environment == "production"


def test_dotenv_is_read(clean_env: Path) -> None:
    (clean_env / ".env").write_text("GATEWAY_PORT=8123\nREDIS_URL=redis://127.0.0.1:6379/3\n")
    s = Settings()
    assert s.gateway_port == 8123
    assert s.redis_url == "redis://127.0.0.1:6379/3"


def test_env_example_documents_every_setting() -> None:
    example = (Path(__file__).parents[2] / ".env.example").read_text()
    for field in Settings.model_fields.values():
        assert f"{field.alias}=" in example, field.alias
