"""A gateway wired to fake Telegram, Twilio and Rasa servers on 127.0.0.1, on SQLite or PostgreSQL, with or without Redis."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from channels._gateway import ChannelGateway
from channels._ratelimit import Pacer
from channels.app import create_app
from mpp.settings import Settings
from tests.auxil.fake_http import wait_until
from tests.auxil.fake_rasa import FakeRasa, fake_rasa
from tests.auxil.fake_telegram import FakeTelegram, fake_telegram
from tests.auxil.fake_twilio import FakeTwilio, fake_twilio
from tests.conftest import FIXTURES

# Read before `clean_env` empties the environment.
REDIS_URL = os.environ.get("REDIS_URL")
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")

TG_TOKEN = "7012345678:AAF-fake-token-for-tests"
TG_SECRET = "webhook-secret_for-tests-0123456789"
MANIFEST: dict[str, Any] = json.loads((FIXTURES / "twilio" / "manifest.json").read_text(encoding="utf-8"))
TW_TOKEN = MANIFEST["auth_token"]
TW_SID = MANIFEST["samples"]["01_text"]["params"]["AccountSid"]
TW_FROM = "whatsapp:+6285700001111"
PUBLIC = "https://bot.example.id"
RESIDENT_TG = 5123456789
RESIDENT_WA = "whatsapp:+6281234567890"


def telegram_sample(name: str) -> dict[str, Any]:
    """A Telegram update from tests/fixtures/telegram."""
    data: dict[str, Any] = json.loads((FIXTURES / "telegram" / f"{name}.json").read_text(encoding="utf-8"))
    return data


def twilio_sample(name: str) -> tuple[str, bytes, dict[str, str]]:
    """(path with query, raw body, headers) of a Twilio sample, signed for the public URL."""
    sample = MANIFEST["samples"][name]
    body = (FIXTURES / "twilio" / sample["file"]).read_bytes()
    path = sample["url"].removeprefix(PUBLIC)
    return path, body, dict(sample["headers"])


@dataclass
class Harness:
    """A running gateway and the fakes around it."""

    client: TestClient
    telegram: FakeTelegram
    twilio: FakeTwilio
    rasa: FakeRasa
    settings: Settings

    @property
    def gateway(self) -> ChannelGateway:
        """The running channel gateway."""
        gw: ChannelGateway = self.client.app.state.channels  # type: ignore[attr-defined]
        return gw

    def post_telegram(self, update: dict[str, Any], secret: str | None = TG_SECRET) -> httpx.Response:
        """Deliver an update the way Telegram does."""
        headers = {"content-type": "application/json"}
        if secret is not None:
            headers["x-telegram-bot-api-secret-token"] = secret
        return self.client.post("/webhooks/telegram", content=json.dumps(update), headers=headers)

    def post_twilio(self, name: str, *, signature: str | None = "sample") -> httpx.Response:
        """Deliver a Twilio sample (with its real signature unless told otherwise)."""
        path, body, headers = twilio_sample(name)
        if signature is None:
            headers.pop("X-Twilio-Signature", None)
        elif signature != "sample":
            headers["X-Twilio-Signature"] = signature
        return self.client.post(path, content=body, headers=headers)

    def idle(self, timeout_s: float = 10.0) -> None:
        """Wait until every queued message is answered."""
        dispatcher = self.gateway.dispatcher
        assert dispatcher is not None
        assert wait_until(lambda: not dispatcher._workers, timeout_s)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A private schema in the test PostgreSQL database (skipped without TEST_POSTGRES_URL)."""
    if not POSTGRES_URL:
        pytest.skip("TEST_POSTGRES_URL not set")
    from sqlalchemy import create_engine, text

    schema = f"channels_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The real Redis (skipped without REDIS_URL)."""
    if not REDIS_URL:
        pytest.skip("REDIS_URL not set")
    yield REDIS_URL


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of our own on the shared Redis; its keys are deleted afterwards."""
    prefix = f"mpp-test-{uuid.uuid4().hex[:8]}:"
    yield prefix
    if REDIS_URL:
        import redis

        r = redis.Redis.from_url(REDIS_URL)
        try:
            keys = list(r.scan_iter(f"{prefix}*"))
            if keys:
                r.delete(*keys)
        except redis.RedisError:
            pass
        finally:
            r.close()


@pytest.fixture
def make_harness(clean_env: Path, redis_prefix: str) -> Iterator[Callable[..., Harness]]:
    """Build gateways: `make_harness(database_url=None, redis_url=None, fast=True, **settings)`."""
    stack: list[Any] = []

    def make(
        database_url: str | None = None, redis_url: str | None = None, *, fast: bool = True, **extra: Any
    ) -> Harness:
        tg = fake_telegram(TG_TOKEN)
        tw = fake_twilio(TW_SID, TW_TOKEN)
        ra = fake_rasa()
        telegram, twilio, rasa = tg.__enter__(), tw.__enter__(), ra.__enter__()
        stack.extend([ra, tw, tg])
        values: dict[str, Any] = {
            "RASA_URL": rasa.url,
            "PUBLIC_BASE_URL": PUBLIC,
            "TELEGRAM_BOT_TOKEN": TG_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
            "TELEGRAM_API_BASE_URL": telegram.url,
            "TWILIO_ACCOUNT_SID": TW_SID,
            "TWILIO_AUTH_TOKEN": TW_TOKEN,
            "TWILIO_WHATSAPP_FROM": TW_FROM,
            "TWILIO_API_BASE_URL": twilio.url,
            "REDIS_PREFIX": redis_prefix,
            "MPP_DATA_DIR": str(clean_env / "var"),
        }
        if database_url:
            values["DATABASE_URL"] = database_url
        if redis_url:
            values["REDIS_URL"] = redis_url
        values.update(extra)
        settings = Settings(**values)
        client = TestClient(create_app(settings))
        client.__enter__()
        stack.insert(0, client)
        harness = Harness(client, telegram, twilio, rasa, settings)
        if fast:
            fast_pacer = Pacer(per_chat=1000, per_chat_burst=1000, total=1000, total_burst=1000)
            assert harness.gateway.telegram is not None and harness.gateway.whatsapp is not None
            harness.gateway.telegram.pacer = fast_pacer
            harness.gateway.whatsapp.pacer = fast_pacer
            harness.gateway.telegram.backoff_s = 0.01
            harness.gateway.whatsapp.backoff_s = 0.01
        return harness

    yield make
    for item in stack:
        item.__exit__(None, None, None)
