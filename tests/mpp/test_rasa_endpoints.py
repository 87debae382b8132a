"""Rasa's endpoints: memory stores by default, Redis tracker and lock stores when REDIS_URL is set."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mpp.rasa import REDIS_KEY_PREFIX, endpoints_file, endpoints_yaml, rasa_env, serve_command
from mpp.settings import PROJECT_ROOT, Settings


def test_default_is_the_checked_in_file(clean_env: Path) -> None:
    s = Settings()
    assert endpoints_yaml(s) is None
    assert endpoints_file(s) == PROJECT_ROOT / "bot" / "endpoints.yml"
    cmd = serve_command(s, 5099)
    assert cmd[cmd.index("--endpoints") + 1] == str(PROJECT_ROOT / "bot" / "endpoints.yml")
    assert cmd[cmd.index("--interface") + 1] == "127.0.0.1"


def test_redis_url_gives_redis_stores(clean_env: Path) -> None:
    s = Settings(REDIS_URL="redis://:p%40ss@10.0.0.5:6380/3")
    path = endpoints_file(s)
    assert path.parent == s.data_dir / "rasa"
    data = yaml.safe_load(path.read_text())
    for key in ("tracker_store", "lock_store"):
        store = data[key]
        assert store["type"] == "redis" and store["url"] == "10.0.0.5"
        assert store["port"] == 6380 and store["db"] == 3 and store["key_prefix"] == REDIS_KEY_PREFIX
        assert store["password"] == "${MPP_RASA_REDIS_PASSWORD}"  # the secret is not in the file
    assert data["tracker_store"]["record_exp"] > 3600
    assert "p@ss" not in path.read_text()
    assert rasa_env(s)["MPP_RASA_REDIS_PASSWORD"] == "p@ss"
    assert data["action_endpoint"]["url"].endswith("/webhook")
    assert endpoints_file(s) == path  # same settings, same file


def test_bad_redis_url_is_refused(clean_env: Path) -> None:
    with pytest.raises(ValueError, match="REDIS_URL"):
        endpoints_yaml(Settings(REDIS_URL="http://127.0.0.1:6379"))
