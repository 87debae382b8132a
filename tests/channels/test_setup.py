"""`mpp channels set-webhook` against the fake Bot API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mpp.cli import app
from mpp.settings import get_settings
from tests.auxil.fake_telegram import fake_telegram
from tests.channels.conftest import TG_SECRET, TG_TOKEN


def test_set_webhook_registers_telegram_with_its_secret(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_telegram(TG_TOKEN) as tg:
        for key, value in {
            "PUBLIC_BASE_URL": "https://bot.example.id",
            "TELEGRAM_BOT_TOKEN": TG_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
            "TELEGRAM_API_BASE_URL": tg.url,
        }.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["channels", "set-webhook"])
        assert result.exit_code == 0, result.output
        calls = [b for m, b in tg.calls if m == "setWebhook"]
    assert calls[0]["url"] == "https://bot.example.id/webhooks/telegram"
    assert calls[0]["secret_token"] == TG_SECRET
    assert set(json.loads(calls[0]["allowed_updates"])) >= {"message", "callback_query", "my_chat_member"}
    assert "WhatsApp" in result.output and "dilewati" in result.output


def test_set_webhook_needs_a_public_url(clean_env: Path) -> None:
    result = CliRunner().invoke(app, ["channels", "set-webhook"])
    assert result.exit_code == 1
    assert "PUBLIC_BASE_URL" in result.output
