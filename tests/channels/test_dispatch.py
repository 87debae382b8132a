"""Exactly once and nothing lost: dedupe on Redis and on the database, inbox recovery, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from channels._events import InboundEvent
from channels._store import ChannelStore
from mpp.db import engine_for, migrate
from tests.auxil.fake_http import wait_until
from tests.channels.conftest import RESIDENT_TG, RESIDENT_WA, Harness, telegram_sample


def _count(h: Harness, sql: str) -> int:
    assert h.gateway.dispatcher is not None
    with h.gateway.dispatcher.store.engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar() or 0)


def _redeliver_everything(h: Harness) -> None:
    for _ in range(3):
        assert h.post_telegram(telegram_sample("01_text")).status_code == 200
        assert h.post_twilio("01_text").status_code == 200
    h.idle()
    assert len(h.rasa.received) == 2
    assert len(h.telegram.sent(RESIDENT_TG)) == 1 and len(h.twilio.bodies(RESIDENT_WA)) == 1
    assert _count(h, "SELECT count(*) FROM channel_inbox") == 2
    assert _count(h, "SELECT count(*) FROM channel_inbox WHERE status = 'done'") == 2


def test_duplicates_once_with_the_database_fallback(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    _redeliver_everything(h)
    assert _count(h, "SELECT count(*) FROM channel_dedupe") == 2


@pytest.mark.needs_redis
def test_duplicates_once_with_redis(make_harness: Callable[..., Harness], redis_url: str, redis_prefix: str) -> None:
    import redis

    h = make_harness(redis_url=redis_url)
    _redeliver_everything(h)
    assert _count(h, "SELECT count(*) FROM channel_dedupe") == 0  # Redis did the work
    r = redis.Redis.from_url(redis_url)
    try:
        ttl = r.ttl(f"{redis_prefix}dedupe:telegram:902340001")
        assert 24 * 3600 <= ttl <= 48 * 3600
    finally:
        r.close()


def test_redis_down_falls_back_to_the_database(make_harness: Callable[..., Harness]) -> None:
    h = make_harness(redis_url="redis://127.0.0.1:1/0")
    _redeliver_everything(h)
    assert _count(h, "SELECT count(*) FROM channel_dedupe") == 2


@pytest.mark.needs_postgres
def test_duplicates_once_on_postgres(make_harness: Callable[..., Harness], pg_url: str) -> None:
    h = make_harness(database_url=pg_url)
    _redeliver_everything(h)
    assert _count(h, "SELECT count(*) FROM channel_dedupe") == 2


@pytest.mark.needs_postgres
@pytest.mark.needs_redis
def test_two_gateways_on_postgres_and_redis_answer_once(
    make_harness: Callable[..., Harness], pg_url: str, redis_url: str
) -> None:
    first = make_harness(database_url=pg_url, redis_url=redis_url)
    second = make_harness(database_url=pg_url, redis_url=redis_url)
    for h in (first, second, first, second):
        assert h.post_telegram(telegram_sample("01_text")).status_code == 200
    first.idle()
    second.idle()
    assert len(first.rasa.received) + len(second.rasa.received) == 1


def test_inbound_is_stored_before_the_acknowledgement(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    h.rasa.delay_s = 1.0
    assert h.post_telegram(telegram_sample("01_text")).status_code == 200
    assert _count(h, "SELECT count(*) FROM channel_inbox WHERE status IN ('pending', 'processing')") == 1
    h.idle()
    assert _count(h, "SELECT count(*) FROM channel_inbox WHERE status = 'done'") == 1


def _leave_unanswered(url: str) -> None:
    """What a gateway that died after acknowledging leaves behind."""
    engine = engine_for(url)
    migrate(engine)
    store = ChannelStore(engine)
    for i, words in enumerate(["pertama", "kedua"]):
        event = InboundEvent("telegram", f"telegram:{RESIDENT_TG}", str(700 + i), "text", text=words)
        store.inbox_add(event)
    stuck = store.inbox_add(InboundEvent("whatsapp", RESIDENT_WA, "SMstuck", "text", text="ketiga"))
    assert store.inbox_claim(stuck, lease_s=-1)  # claimed by the dead process; its lease has run out
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.needs_postgres)])
def test_unanswered_messages_are_answered_at_start_up(
    make_harness: Callable[..., Harness], tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    url = f"sqlite:///{tmp_path / 'recover.db'}" if backend == "sqlite" else request.getfixturevalue("pg_url")
    _leave_unanswered(url)
    h = make_harness(database_url=url)
    assert wait_until(lambda: len(h.telegram.sent(RESIDENT_TG)) == 2 and len(h.twilio.bodies(RESIDENT_WA)) == 1)
    assert [m["text"] for m in h.telegram.sent(RESIDENT_TG)] == ["Anda menulis: pertama", "Anda menulis: kedua"]
    h.idle()
    assert _count(h, "SELECT count(*) FROM channel_inbox WHERE status = 'done'") == 3


def test_store_claims_a_row_once(tmp_path: Path) -> None:
    engine = engine_for(f"sqlite:///{tmp_path / 'claim.db'}")
    migrate(engine)
    store = ChannelStore(engine)
    item = store.inbox_add(InboundEvent("telegram", "telegram:1", "1", "text", text="x"))
    assert store.inbox_claim(item) is True
    assert store.inbox_claim(item) is False
    store.inbox_done(item)
    assert store.inbox_claim(item) is False
    assert store.inbox_pending() == []
    assert store.dedupe_claim("k", 60) is True and store.dedupe_claim("k", 60) is False
    assert store.dedupe_claim("old", -1) is True and store.dedupe_claim("old", 60) is True  # expired key
    store.prune(keep_days=-1)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM channel_inbox")).scalar() == 0
    engine.dispose()


def test_deduper_survives_concurrent_claims(tmp_path: Path) -> None:
    from channels._dedupe import Deduper

    engine = engine_for(f"sqlite:///{tmp_path / 'race.db'}")
    migrate(engine)
    deduper = Deduper(ChannelStore(engine))

    async def race() -> list[bool]:
        return list(await asyncio.gather(*(deduper.claim("telegram:42") for _ in range(20))))

    assert sorted(asyncio.run(race())) == [False] * 19 + [True]
    engine.dispose()
