"""Telegram webhook end to end: fake Bot API, fake Rasa, real gateway."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from channels._store import ChannelStore
from channels.telegram import MAX_TELEGRAM_CHARS
from tests.auxil.fake_http import wait_until
from tests.auxil.fake_rasa import LONG_PAYLOAD, LONG_TEXT
from tests.channels.conftest import RESIDENT_TG, Harness, telegram_sample

SENDER = f"telegram:{RESIDENT_TG}"


def _store(h: Harness) -> ChannelStore:
    assert h.gateway.dispatcher is not None
    return h.gateway.dispatcher.store


def _text_update(update_id: int, text: str, chat_id: int = RESIDENT_TG) -> dict[str, Any]:
    update = copy.deepcopy(telegram_sample("01_text"))
    update["update_id"] = update_id
    update["message"]["text"] = text
    update["message"]["chat"]["id"] = chat_id
    update["message"]["from"]["id"] = chat_id
    return update


def test_text_reaches_the_assistant_and_the_reply_comes_back(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    r = h.post_telegram(telegram_sample("01_text"))
    assert r.status_code == 200
    assert wait_until(lambda: len(h.telegram.sent(RESIDENT_TG)) == 1)
    assert h.rasa.received[0]["sender"] == SENDER
    assert h.rasa.received[0]["metadata"] == {"channel": "telegram"}
    reply = h.telegram.sent(RESIDENT_TG)[0]
    assert reply["text"].startswith("Anda menulis: Selamat pagi")
    assert reply["parse_mode"] == "HTML"


@pytest.mark.parametrize(
    ("name", "to_rasa", "needle"),
    [
        ("01_text", "Selamat pagi 🙏 saya mau daftar posyandu untuk anak saya besok", "Anda menulis"),
        ("02_start_deeplink", "halo", "Anda menulis: halo"),
        ("04_contact_own", None, "tidak kami simpan"),
        ("06_edited_message", None, "diubah"),
        ("07_photo", None, "belum bisa membaca foto"),
        ("08_voice", None, "belum bisa membaca foto"),
        ("09_sticker", None, "belum bisa membaca foto"),
    ],
)
def test_every_message_sample_gets_a_polite_answer(
    make_harness: Callable[..., Harness], name: str, to_rasa: str | None, needle: str
) -> None:
    h = make_harness()
    assert h.post_telegram(telegram_sample(name)).status_code == 200
    assert wait_until(lambda: len(h.telegram.sent(RESIDENT_TG)) == 1)
    h.idle()
    assert needle in h.telegram.sent(RESIDENT_TG)[0]["text"]
    assert h.rasa.messages() == ([to_rasa] if to_rasa else [])


def test_contact_number_is_neither_stored_nor_logged(
    make_harness: Callable[..., Harness], caplog: pytest.LogCaptureFixture
) -> None:
    h = make_harness()
    with caplog.at_level("DEBUG"):
        h.post_telegram(telegram_sample("04_contact_own"))
        assert wait_until(lambda: len(h.telegram.sent(RESIDENT_TG)) == 1)
    assert "6281234567890" not in caplog.text
    from sqlalchemy import text

    with _store(h).engine.connect() as conn:
        events = [row[0] for row in conn.execute(text("SELECT event FROM channel_inbox"))]
    assert events and all("6281234567890" not in e for e in events)


def test_location_goes_to_handle_location(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    seen: list[tuple[str, float, float, str]] = []
    chat = h.client.app.state.chat  # type: ignore[attr-defined]
    original = chat.handle_location

    async def spy(sender: str, lat: float, lon: float, channel: str = "web") -> Any:
        seen.append((sender, lat, lon, channel))
        return await original(sender, lat, lon, channel)

    chat.handle_location = spy
    assert h.post_telegram(telegram_sample("03_location")).status_code == 200
    assert wait_until(lambda: len(h.telegram.sent(RESIDENT_TG)) == 1)
    assert seen == [(SENDER, -6.208763, 106.845599, "telegram")]


def test_block_stops_proactive_messages_and_a_new_message_unblocks(make_harness: Callable[..., Harness]) -> None:
    from channels.schemas import OutMessage

    h = make_harness()
    h.post_telegram(telegram_sample("01_text"))
    assert wait_until(lambda: len(h.telegram.sent(RESIDENT_TG)) == 1)
    assert h.post_telegram(telegram_sample("10_my_chat_member_blocked")).status_code == 200
    assert _store(h).user(SENDER).blocked
    outbound = h.client.app.state.outbound  # type: ignore[attr-defined]
    assert h.client.portal.call(outbound.deliver, SENDER, [OutMessage(text="Pengingat")]) is False  # type: ignore[union-attr]
    assert len(h.telegram.sent(RESIDENT_TG)) == 1
    h.post_telegram(_text_update(902349999, "halo lagi"))
    assert wait_until(lambda: len(h.telegram.sent(RESIDENT_TG)) == 2)
    assert not _store(h).user(SENDER).blocked


def test_forbidden_on_send_marks_the_resident_blocked(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    h.telegram.blocked_chats.add(RESIDENT_TG)
    h.post_telegram(telegram_sample("01_text"))
    assert wait_until(lambda: "sendMessage" in h.telegram.methods())
    h.idle()
    assert _store(h).user(SENDER).blocked


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", "webhook-secret_for-tests-012345678"])
def test_missing_or_forged_secret_is_refused_and_nothing_processed(
    make_harness: Callable[..., Harness], secret: str | None
) -> None:
    h = make_harness()
    r = h.post_telegram(telegram_sample("01_text"), secret=secret)
    assert r.status_code == 403
    h.idle()
    assert h.rasa.received == [] and h.telegram.sent() == []
    from sqlalchemy import text

    with _store(h).engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM channel_inbox")).scalar() == 0


def test_a_redelivered_update_is_processed_once(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    for _ in range(3):
        assert h.post_telegram(telegram_sample("01_text")).status_code == 200
    h.idle()
    assert len(h.rasa.received) == 1
    assert len(h.telegram.sent(RESIDENT_TG)) == 1


def test_long_reply_is_split_to_4096(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    h.post_telegram(_text_update(1, "jawaban panjang"))
    assert wait_until(lambda: len(h.telegram.sent(RESIDENT_TG)) >= 4)
    h.idle()
    parts = h.telegram.sent(RESIDENT_TG)
    assert len(parts) == 4
    plain = [p["text"].replace("<b>", "*").replace("</b>", "*") for p in parts]
    assert all(len(p.encode("utf-16-le")) // 2 <= MAX_TELEGRAM_CHARS for p in plain)
    assert " ".join(plain).split() == LONG_TEXT.split()


def test_button_round_trip_with_long_payload(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    h.post_telegram(_text_update(1, "menu"))
    assert wait_until(lambda: len(h.telegram.sent(RESIDENT_TG)) == 1)
    keyboard = h.telegram.sent(RESIDENT_TG)[0]["reply_markup"]["inline_keyboard"]
    buttons = [b for row in keyboard for b in row]
    assert [b["text"] for b in buttons] == ["KTP elektronik", "Kartu Identitas Anak"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    press = copy.deepcopy(telegram_sample("05_callback_query"))
    press["callback_query"]["data"] = buttons[1]["callback_data"]
    assert h.post_telegram(press).status_code == 200
    assert wait_until(lambda: len(h.telegram.sent(RESIDENT_TG)) == 2)
    assert h.rasa.messages(SENDER)[-1] == LONG_PAYLOAD  # reached Rasa as the offered payload
    assert h.telegram.sent(RESIDENT_TG)[1]["text"].startswith("Pilihan diterima: /choose_service")
    answered = [b for m, b in h.telegram.calls if m == "answerCallbackQuery"]
    assert answered == [{"callback_query_id": "2201793580634215871"}]


def test_unknown_callback_data_gets_a_polite_reply(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    h.post_telegram(telegram_sample("05_callback_query"))  # a payload we never offered
    assert wait_until(lambda: len(h.telegram.sent(RESIDENT_TG)) == 1)
    assert "answerCallbackQuery" in h.telegram.methods()
    assert h.rasa.messages() == ["slot:rw05:2025-07-15T08:00"]  # plain text to Rasa, never an intent


def test_flood_control_answers_once_and_drops_the_rest(make_harness: Callable[..., Harness]) -> None:
    h = make_harness(CHANNELS_FLOOD_PER_MINUTE="1")
    for i in range(15):
        assert h.post_telegram(_text_update(100 + i, f"pesan {i}")).status_code == 200
    h.idle()
    texts = [m["text"] for m in h.telegram.sent(RESIDENT_TG)]
    assert len(h.rasa.received) == 10  # the burst allowance
    assert sum("terlalu banyak" in t for t in texts) == 1


def test_retry_after_and_rejected_markup_are_handled(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    h.telegram.retry_after = [1]
    h.telegram.reject_html = True
    h.post_telegram(telegram_sample("01_text"))
    assert wait_until(lambda: len(h.telegram.sent(RESIDENT_TG)) == 1, timeout_s=15)
    sent = h.telegram.sent(RESIDENT_TG)[0]
    assert "parse_mode" not in sent  # plain text after the HTML was refused


def test_replies_keep_the_order_of_messages(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    for i in range(8):
        h.post_telegram(_text_update(200 + i, f"urutan {i}"))
    h.idle()
    assert [m["text"] for m in h.telegram.sent(RESIDENT_TG)] == [f"Anda menulis: urutan {i}" for i in range(8)]


def test_pacing_keeps_one_message_per_second_per_chat(make_harness: Callable[..., Harness]) -> None:
    import time

    h = make_harness(fast=False)
    started = time.monotonic()
    h.post_telegram(_text_update(1, "satu"))
    h.post_telegram(_text_update(2, "dua"))
    h.post_telegram(_text_update(3, "tiga"))
    assert wait_until(lambda: len(h.telegram.sent(RESIDENT_TG)) == 3, timeout_s=10)
    assert time.monotonic() - started >= 1.9


def test_webhook_is_404_when_telegram_is_not_configured(make_harness: Callable[..., Harness]) -> None:
    h = make_harness(TELEGRAM_BOT_TOKEN="", TELEGRAM_WEBHOOK_SECRET="", fast=False)
    assert h.post_telegram(telegram_sample("01_text")).status_code == 404


def test_unreadable_json_is_acknowledged_without_processing(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    r = h.client.post(
        "/webhooks/telegram",
        content=b"{nope",
        headers={"x-telegram-bot-api-secret-token": "webhook-secret_for-tests-0123456789"},
    )
    assert r.status_code == 200
    assert json.dumps(h.rasa.received) == "[]"
