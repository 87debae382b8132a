"""Several gateway processes: shared buttons, options and tokens, flood counts, durable dedupe, reply retries."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

import mpp.db
from channels._events import LOCATION_PAYLOAD, InboundEvent
from channels._replies import ChannelReplies
from channels._store import ChannelStore
from channels.schemas import Button, OutMessage
from channels.whatsapp import WhatsAppAdapter
from tests.auxil.fake_http import wait_until
from tests.auxil.fake_rasa import LONG_PAYLOAD
from tests.channels.conftest import RESIDENT_TG, RESIDENT_WA, Harness, telegram_sample
from tests.channels.test_telegram import _text_update
from tests.channels.test_whatsapp import _post_text

SENDER_TG = f"telegram:{RESIDENT_TG}"
SHARED = [
    pytest.param("redis", marks=pytest.mark.needs_redis),
    pytest.param("postgres", marks=pytest.mark.needs_postgres),
    "sqlite",
]


def _pair(
    make_harness: Callable[..., Harness], request: pytest.FixtureRequest, backend: str
) -> tuple[Harness, Harness]:
    """Two gateway apps on one database (and one Redis for `redis`): processes A and B."""
    kw: dict[str, Any] = {}
    if backend == "redis":
        kw["redis_url"] = request.getfixturevalue("redis_url")
    elif backend == "postgres":
        kw["database_url"] = request.getfixturevalue("pg_url")
    return make_harness(**kw), make_harness(**kw)


def _store(h: Harness) -> ChannelStore:
    assert h.gateway.dispatcher is not None
    return h.gateway.dispatcher.store


def _rows(h: Harness, sql: str) -> list[Any]:
    with _store(h).engine.connect() as conn:
        return list(conn.execute(text(sql)).all())


@pytest.mark.parametrize("backend", SHARED)
def test_telegram_button_offered_by_one_process_is_accepted_by_another(
    make_harness: Callable[..., Harness], request: pytest.FixtureRequest, backend: str
) -> None:
    a, b = _pair(make_harness, request, backend)
    assert a.post_telegram(_text_update(1, "menu")).status_code == 200
    assert wait_until(lambda: len(a.telegram.sent(RESIDENT_TG)) == 1)
    keyboard = a.telegram.sent(RESIDENT_TG)[0]["reply_markup"]["inline_keyboard"]
    token = [btn for row in keyboard for btn in row][1]["callback_data"]
    assert token.startswith("#")  # the long payload travels as a token issued by A
    press = copy.deepcopy(telegram_sample("05_callback_query"))
    press["callback_query"]["data"] = token
    assert b.post_telegram(press).status_code == 200
    assert wait_until(lambda: len(b.telegram.sent(RESIDENT_TG)) == 1)
    b.idle()
    assert b.rasa.messages(SENDER_TG) == [LONG_PAYLOAD]  # decoded by B and passed B's offered-payload guard
    assert b.telegram.sent(RESIDENT_TG)[0]["text"].startswith("Pilihan diterima: /choose_service")
    if backend == "redis":
        import redis

        r = redis.Redis.from_url(request.getfixturevalue("redis_url"))
        prefix = request.getfixturevalue("redis_prefix")
        try:
            assert 0 < r.ttl(f"{prefix}st:offered:{SENDER_TG}") <= 3600
            assert 6 * 86400 < r.ttl(f"{prefix}st:tg-token:{token}") <= 7 * 86400
        finally:
            r.close()
        assert _rows(a, "SELECT key FROM channel_state") == []  # Redis did the work
    else:
        keys = {row.key for row in _rows(a, "SELECT key FROM channel_state")}
        assert {f"offered:{SENDER_TG}", f"tg-token:{token}"} <= keys


@pytest.mark.parametrize("backend", SHARED)
def test_whatsapp_numbered_answer_reaches_another_process(
    make_harness: Callable[..., Harness], request: pytest.FixtureRequest, backend: str
) -> None:
    a, b = _pair(make_harness, request, backend)
    assert _post_text(a, "SM" + "a" * 32, "menu") == 200
    assert wait_until(lambda: len(a.twilio.bodies(RESIDENT_WA)) == 1)
    assert "*2.* Kartu Identitas Anak" in a.twilio.bodies(RESIDENT_WA)[0]
    assert _post_text(b, "SM" + "b" * 32, "2") == 200
    assert wait_until(lambda: len(b.twilio.bodies(RESIDENT_WA)) == 1)
    assert b.rasa.messages(RESIDENT_WA) == [LONG_PAYLOAD]
    assert b.twilio.bodies(RESIDENT_WA)[0].startswith("Pilihan diterima: /choose_service")


def test_the_newest_offer_wins_across_processes(
    make_harness: Callable[..., Harness], request: pytest.FixtureRequest
) -> None:
    a, b = _pair(make_harness, request, "sqlite")
    assert a.post_telegram(_text_update(1, "menu")).status_code == 200
    assert wait_until(lambda: len(a.telegram.sent(RESIDENT_TG)) == 1)
    assert b.post_telegram(_text_update(2, "kantor terdekat")).status_code == 200  # B offers other buttons
    assert wait_until(lambda: len(b.telegram.sent(RESIDENT_TG)) >= 1)
    b.idle()

    def press(h: Harness, update_id: int, data: str) -> None:
        update = copy.deepcopy(telegram_sample("05_callback_query"))
        update["update_id"] = update_id
        update["callback_query"]["id"] = str(update_id)
        update["callback_query"]["data"] = data
        assert h.post_telegram(update).status_code == 200
        h.idle()

    press(a, 3, '/choose_service{"service_id":"disdukcapil-ktp-el"}')  # A's own, but older, offer
    assert a.rasa.messages(SENDER_TG)[-1] == 'choose_service{"service_id":"disdukcapil-ktp-el"}'  # not an intent
    press(a, 4, "/inform_kecamatan")  # offered by B, the newest offer
    assert a.rasa.messages(SENDER_TG)[-1] == "/inform_kecamatan"


def test_flood_is_counted_across_processes(
    make_harness: Callable[..., Harness], request: pytest.FixtureRequest
) -> None:
    a, b = _pair(make_harness, request, "sqlite")
    for h in (a, b):
        h.gateway.dispatcher.flood = type(h.gateway.dispatcher.flood)(burst=10, window_s=600.0)  # type: ignore[union-attr]
    for i in range(15):
        h = (a, b)[i % 2]
        assert h.post_telegram(_text_update(100 + i, f"pesan {i}")).status_code == 200
    a.idle()
    b.idle()
    assert len(a.rasa.received) + len(b.rasa.received) == 10
    texts = [m["text"] for h in (a, b) for m in h.telegram.sent(RESIDENT_TG)]
    assert sum("terlalu banyak" in t for t in texts) == 1
    assert len(_rows(a, "SELECT id FROM channel_inbox WHERE status = 'flood'")) == 5


@pytest.mark.needs_redis
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.needs_postgres)])
def test_redelivery_while_and_after_redis_is_down_is_processed_once(
    make_harness: Callable[..., Harness],
    request: pytest.FixtureRequest,
    redis_url: str,
    redis_prefix: str,
    backend: str,
) -> None:
    from redis.asyncio import Redis

    kw: dict[str, Any] = {"redis_url": redis_url}
    if backend == "postgres":
        kw["database_url"] = request.getfixturevalue("pg_url")
    h = make_harness(**kw)
    assert h.post_telegram(telegram_sample("01_text")).status_code == 200
    assert h.post_twilio("01_text").status_code == 200
    h.idle()
    assert _rows(h, "SELECT key FROM channel_dedupe") == []  # claimed in Redis only
    dispatcher = h.gateway.dispatcher
    assert dispatcher is not None
    live = dispatcher.deduper.redis
    dispatcher.deduper.redis = Redis.from_url("redis://127.0.0.1:1/0")  # Redis goes down
    for _ in range(2):
        assert h.post_telegram(telegram_sample("01_text")).status_code == 200
        assert h.post_twilio("01_text").status_code == 200
    h.idle()
    assert len(h.rasa.received) == 2
    dispatcher.deduper.redis = live  # back, but it lost its keys (restarted without persistence)
    import redis

    r = redis.Redis.from_url(redis_url)
    try:
        r.delete(*r.keys(f"{redis_prefix}dedupe:*"))
    finally:
        r.close()
    assert h.post_telegram(telegram_sample("01_text")).status_code == 200
    assert h.post_twilio("01_text").status_code == 200
    h.idle()
    assert len(h.rasa.received) == 2
    assert len(h.telegram.sent(RESIDENT_TG)) == 1 and len(h.twilio.bodies(RESIDENT_WA)) == 1
    assert len(_rows(h, "SELECT id FROM channel_inbox")) == 2


def _retry_now(h: Harness) -> None:
    """What the 30 s sweep does, without waiting for it."""
    dispatcher = h.gateway.dispatcher
    assert dispatcher is not None and h.client.portal is not None
    h.client.portal.call(dispatcher.recover)
    h.idle()


@pytest.mark.parametrize("channel", ["telegram", "whatsapp"])
def test_a_failed_reply_is_sent_again_later_without_asking_twice(
    make_harness: Callable[..., Harness], channel: str
) -> None:
    h = make_harness()
    dispatcher = h.gateway.dispatcher
    assert dispatcher is not None
    dispatcher.retry_backoff_s = 0.0
    fake = h.telegram if channel == "telegram" else h.twilio
    fake.down = True
    if channel == "telegram":
        assert h.post_telegram(telegram_sample("01_text")).status_code == 200
    else:
        assert h.post_twilio("01_text").status_code == 200
    h.idle()
    [row] = _rows(h, "SELECT status, attempts, reply FROM channel_inbox")
    assert row.status == "retry" and row.attempts == 1 and "Anda menulis" in row.reply
    _retry_now(h)  # still down: another attempt, kept for later
    [row] = _rows(h, "SELECT status, attempts FROM channel_inbox")
    assert (row.status, row.attempts) == ("retry", 2)
    fake.down = False
    _retry_now(h)
    [row] = _rows(h, "SELECT status, reply FROM channel_inbox")
    assert (row.status, row.reply) == ("done", None)
    sent = h.telegram.sent(RESIDENT_TG) if channel == "telegram" else h.twilio.bodies(RESIDENT_WA)
    assert len(sent) == 1
    assert len(h.rasa.received) == 1  # the stored reply was re-sent; the assistant was asked once
    _retry_now(h)
    assert len(h.telegram.sent(RESIDENT_TG) if channel == "telegram" else h.twilio.bodies(RESIDENT_WA)) == 1


def test_a_reply_that_keeps_failing_is_given_up_without_personal_data_in_logs(
    make_harness: Callable[..., Harness], capfd: pytest.CaptureFixture[str]
) -> None:
    h = make_harness()
    dispatcher = h.gateway.dispatcher
    assert dispatcher is not None
    dispatcher.retry_backoff_s = 0.0
    dispatcher.max_send_attempts = 3
    h.twilio.down = True
    assert h.post_twilio("02_text_with_nik").status_code == 200
    h.idle()
    for _ in range(4):
        _retry_now(h)
    logs = capfd.readouterr().err  # the app's JSON log lines (mpp.logging writes to stderr)
    [row] = _rows(h, "SELECT status, attempts, reply FROM channel_inbox")
    assert (row.status, row.attempts, row.reply) == ("failed", 3, None)
    assert h.twilio.attempts == 3 * 5  # three sends of five API attempts each, then nothing more
    assert "giving up" in logs and "will retry" in logs
    for secret in ("3174012304850003", "6281234567890", "Budi", "Anda menulis"):
        assert secret not in logs


def test_blocked_is_final_not_retried(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    h.gateway.dispatcher.retry_backoff_s = 0.0  # type: ignore[union-attr]
    h.telegram.blocked_chats.add(RESIDENT_TG)
    assert h.post_telegram(telegram_sample("01_text")).status_code == 200
    h.idle()
    _retry_now(h)
    [row] = _rows(h, "SELECT status, attempts FROM channel_inbox")
    assert (row.status, row.attempts) == ("blocked", 1)


def test_whatsapp_tells_how_to_share_a_location() -> None:
    adapter = WhatsAppAdapter(
        account_sid="AC1", auth_token="t", from_number="whatsapp:+6285700001111", public_base_url="https://x.id"
    )
    buttons = [Button(title="📍 Kirim lokasi", payload=LOCATION_PAYLOAD), Button(title="Batal", payload="/stop")]
    bodies, offered = adapter.render([OutMessage(text="Di mana lokasi Bapak/Ibu?", buttons=buttons)])
    hint = ChannelReplies().whatsapp_location
    assert bodies == [f"Di mana lokasi Bapak/Ibu?\n\n*1.* Batal\n{ChannelReplies().options_hint}\n{hint}"]
    assert [b.payload for b in offered] == ["/stop"]  # the location option is not numbered
    only, none = adapter.render([OutMessage(text="Kirim lokasi?", buttons=buttons[:1])])
    assert only == [f"Kirim lokasi?\n\n{hint}"] and none == []
    assert "Lokasi" in hint and "📎" in hint and len(hint) < 160


def test_whatsapp_location_hint_end_to_end(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    assert _post_text(h, "SM" + "c" * 32, "kantor terdekat") == 200
    assert wait_until(lambda: len(h.twilio.bodies(RESIDENT_WA)) == 1)
    body = h.twilio.bodies(RESIDENT_WA)[0]
    assert "*1.* Tulis nama kecamatan" in body and "Kirim lokasi Anda saat ini" in body
    assert "Kirim lokasi" not in body.split("*1.*")[0]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.needs_postgres)])
def test_migration_0006_keeps_the_first_of_duplicates_stored_before_it(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    from alembic import command
    from alembic.config import Config

    from mpp.db import engine_for

    url = f"sqlite:///{tmp_path / 'm.db'}" if backend == "sqlite" else request.getfixturevalue("pg_url")
    engine = engine_for(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(mpp.db.__file__).parent / "migrations"))

    def upgrade(to: str) -> None:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, to)

    upgrade("0005")
    with engine.begin() as conn:
        for sid in ("SM1", "SM1", "SM2", "SM1"):
            conn.execute(
                text(
                    "INSERT INTO channel_inbox (channel, sender, external_id, event, status, attempts)"
                    " VALUES ('whatsapp', 'whatsapp:+62811', :sid, '{}', 'done', 1)"
                ),
                {"sid": sid},
            )
    upgrade("head")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, external_id FROM channel_inbox ORDER BY id")).all()
    assert [(r.id, r.external_id) for r in rows] == [(1, "SM1"), (3, "SM2")]
    store = ChannelStore(engine)
    assert store.inbox_add(InboundEvent("whatsapp", "whatsapp:+62811", "SM1", "text", text="x")) is None
    store.state_set("k", "v1", 60)
    store.state_set("k", "v2", 60)
    store.state_set("old", "v", -1)
    assert (store.state_get("k"), store.state_get("old"), store.state_get("none")) == ("v2", None, None)
    engine.dispose()


@pytest.mark.parametrize("backend", SHARED)
def test_web_button_offered_by_one_process_is_accepted_by_another(
    make_harness: Callable[..., Harness], request: pytest.FixtureRequest, backend: str
) -> None:
    a, b = _pair(make_harness, request, backend)
    body = a.client.post("/api/chat", json={"sender": "w1", "text": "menu"}).json()
    payload = next(btn["payload"] for m in body["messages"] for btn in m["buttons"] if btn["payload"] == LONG_PAYLOAD)
    assert b.client.post("/api/chat", json={"sender": "w1", "text": payload}).status_code == 200
    assert b.rasa.messages("web:w1") == [LONG_PAYLOAD]  # passed B's offered-payload guard
    # Not offered to this sender: B passes it on as plain words, not as an intent.
    assert b.client.post("/api/chat", json={"sender": "w2", "text": payload}).status_code == 200
    assert b.rasa.messages("web:w2") == [LONG_PAYLOAD.lstrip("/")]
