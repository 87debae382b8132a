"""`app.state.outbound.deliver`: proactive messages on each channel, and when they must not go out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import update

from channels.models import ChannelUser
from channels.outbound import Outbound, WhatsAppTemplate
from channels.schemas import Button, OutMessage
from tests.auxil.fake_http import wait_until
from tests.channels.conftest import RESIDENT_TG, RESIDENT_WA, Harness, telegram_sample

REMINDER = [
    OutMessage(
        text="Pengingat: besok pukul *08.00* di Mini MPP Loa Kulu.",
        buttons=[Button(title="Hadir", payload="/confirm_booking"), Button(title="Batal", payload="/cancel_booking")],
    )
]


def _deliver(h: Harness, sender: str, messages: list[OutMessage], template: WhatsAppTemplate | None = None) -> bool:
    outbound: Outbound = h.client.app.state.outbound  # type: ignore[attr-defined]
    assert h.client.portal is not None
    return bool(h.client.portal.call(lambda: outbound.deliver(sender, messages, template=template)))


def _age_window(h: Harness, sender: str, hours: float) -> None:
    assert h.gateway.dispatcher is not None
    with h.gateway.dispatcher.store.engine.begin() as conn:
        conn.execute(
            update(ChannelUser)
            .where(ChannelUser.sender == sender)
            .values(last_inbound_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours))
        )


def test_web_and_unknown_senders_are_not_delivered(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    assert _deliver(h, "web:abc", REMINDER) is False
    assert _deliver(h, "sms:+628", REMINDER) is False


def test_telegram_delivery_with_buttons_that_answer_later(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    assert _deliver(h, f"telegram:{RESIDENT_TG}", REMINDER) is True
    sent = h.telegram.sent(RESIDENT_TG)
    assert sent[0]["text"] == "Pengingat: besok pukul <b>08.00</b> di Mini MPP Loa Kulu."
    keyboard = sent[0]["reply_markup"]["inline_keyboard"]
    assert [b["callback_data"] for row in keyboard for b in row] == ["/confirm_booking", "/cancel_booking"]
    press = telegram_sample("05_callback_query")
    press["callback_query"]["data"] = "/confirm_booking"
    h.post_telegram(press)
    assert wait_until(lambda: len(h.rasa.received) == 1)
    assert h.rasa.messages() == ["/confirm_booking"]  # offered by deliver, so it passes the payload guard


def test_telegram_api_failure_returns_false(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    h.telegram.down = True
    assert _deliver(h, f"telegram:{RESIDENT_TG}", REMINDER) is False


def test_whatsapp_needs_an_open_window_or_a_template(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    assert _deliver(h, RESIDENT_WA, REMINDER) is False  # never wrote to us
    template = WhatsAppTemplate(content_sid="HX0123456789abcdef0123456789abcdef", variables={"1": "08.00"})
    assert _deliver(h, RESIDENT_WA, REMINDER, template) is True
    assert h.twilio.created[-1]["ContentSid"] == template.content_sid
    assert h.twilio.created[-1]["ContentVariables"] == '{"1": "08.00"}'
    h.post_twilio("01_text")
    assert wait_until(lambda: len(h.twilio.created) == 2)
    h.idle()
    assert _deliver(h, "whatsapp:6281234567890", REMINDER) is True  # normalised, window open: plain text
    body = h.twilio.created[-1]["Body"]
    assert "*1.* Hadir" in body and "*2.* Batal" in body
    _age_window(h, RESIDENT_WA, 25)
    assert _deliver(h, RESIDENT_WA, REMINDER) is False
    assert _deliver(h, RESIDENT_WA, REMINDER, template) is True
    assert h.twilio.created[-1]["ContentSid"] == template.content_sid


def test_whatsapp_numbered_answer_to_a_proactive_message(make_harness: Callable[..., Harness]) -> None:
    from tests.channels.test_whatsapp import _post_text

    h = make_harness()
    h.post_twilio("01_text")
    assert wait_until(lambda: len(h.twilio.created) == 1)
    h.idle()
    assert _deliver(h, RESIDENT_WA, REMINDER) is True
    assert _post_text(h, "SM" + "9" * 32, "batal") == 200
    assert wait_until(lambda: len(h.rasa.received) == 2)
    assert h.rasa.messages()[-1] == "/cancel_booking"


def test_whatsapp_blocked_or_window_errors_stop_delivery(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    h.post_twilio("01_text")
    assert wait_until(lambda: len(h.twilio.created) == 1)
    h.idle()
    h.twilio.error_for[RESIDENT_WA] = 63016
    assert _deliver(h, RESIDENT_WA, REMINDER) is False
    assert h.gateway.dispatcher is not None
    assert h.gateway.dispatcher.store.user(RESIDENT_WA).last_inbound_at is None
    h.twilio.error_for[RESIDENT_WA] = 21610
    template = WhatsAppTemplate(content_sid="HX0123456789abcdef0123456789abcdef", variables={})
    assert _deliver(h, RESIDENT_WA, REMINDER, template) is False
    assert h.gateway.dispatcher.store.user(RESIDENT_WA).blocked
    del h.twilio.error_for[RESIDENT_WA]
    assert _deliver(h, RESIDENT_WA, REMINDER, template) is False  # blocked: nothing goes out
    assert len(h.twilio.created) == 1


def test_whatsapp_api_failure_after_retries_returns_false(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    h.post_twilio("01_text")
    assert wait_until(lambda: len(h.twilio.created) == 1)
    h.idle()
    h.twilio.too_many = 100
    assert _deliver(h, RESIDENT_WA, REMINDER) is False
    assert h.twilio.attempts == 1 + 5


def test_outbound_exists_without_channels(clean_env: object) -> None:
    from fastapi.testclient import TestClient

    from channels.app import create_app
    from mpp.settings import Settings

    with TestClient(create_app(Settings(RASA_URL="http://127.0.0.1:9"))) as client:
        outbound = client.app.state.outbound  # type: ignore[attr-defined]
        assert client.portal is not None
        assert client.portal.call(lambda: outbound.deliver("telegram:1", REMINDER)) is False
        assert client.post("/webhooks/telegram", json={}).status_code == 404
        assert client.post("/webhooks/twilio/whatsapp", content=b"").status_code == 404
