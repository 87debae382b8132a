"""WhatsApp through Twilio end to end: signed sample webhooks, fake Twilio API, fake Rasa, real gateway."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from channels._store import ChannelStore
from channels.whatsapp import MAX_WHATSAPP_CHARS, whatsapp_sender
from tests.auxil.fake_http import wait_until
from tests.auxil.fake_rasa import LONG_PAYLOAD, LONG_TEXT
from tests.channels.conftest import MANIFEST, PUBLIC, RESIDENT_WA, TW_TOKEN, Harness, twilio_sample


def _store(h: Harness) -> ChannelStore:
    assert h.gateway.dispatcher is not None
    return h.gateway.dispatcher.store


def _post_text(h: Harness, sid: str, body: str, sender: str = RESIDENT_WA) -> int:
    """Sign and post a text message the way Twilio does."""
    params = dict(MANIFEST["samples"]["01_text"]["params"])
    params.update({"MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "Body": body, "From": sender})
    params["WaId"] = sender.removeprefix("whatsapp:+")
    url = f"{PUBLIC}/webhooks/twilio/whatsapp"
    signature = RequestValidator(TW_TOKEN).compute_signature(url, params)
    r = h.client.post(
        "/webhooks/twilio/whatsapp",
        content=urlencode(params),
        headers={"content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature},
    )
    return r.status_code


@pytest.mark.parametrize(
    ("name", "to_rasa", "needle"),
    [
        ("01_text", "Halo, saya mau tanya jadwal vaksin di puskesmas 🙏", "Anda menulis"),
        ("02_text_with_nik", "NIK saya 3174012304850003, nama Budi Santoso, HP 0812-3456-7890", "Anda menulis"),
        ("05_image", None, "belum bisa membaca foto"),
        ("06_voice_note", None, "belum bisa membaca foto"),
        ("07_button_reply", "Ya, saya hadir", "Anda menulis: Ya, saya hadir"),
        ("08_quoted_reply", "Jam berapa tutupnya?", "Anda menulis"),
    ],
)
def test_every_message_sample_gets_an_answer(
    make_harness: Callable[..., Harness], name: str, to_rasa: str | None, needle: str
) -> None:
    h = make_harness()
    r = h.post_twilio(name)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/xml") and "<Response>" in r.text
    assert wait_until(lambda: len(h.twilio.bodies(RESIDENT_WA)) == 1)
    h.idle()
    assert needle in h.twilio.bodies(RESIDENT_WA)[0]
    assert h.rasa.messages() == ([to_rasa] if to_rasa else [])
    created = h.twilio.created[0]
    assert created["From"] == "whatsapp:+6285700001111"
    assert created["StatusCallback"] == f"{PUBLIC}/webhooks/twilio/status"
    if to_rasa:
        assert h.rasa.received[0]["sender"] == RESIDENT_WA
        assert h.rasa.received[0]["metadata"] == {"channel": "whatsapp"}


@pytest.mark.parametrize("name", ["03_location_pin", "04_location_place"])
def test_location_goes_to_handle_location(make_harness: Callable[..., Harness], name: str) -> None:
    h = make_harness()
    seen: list[tuple[str, float, float, str]] = []
    chat = h.client.app.state.chat  # type: ignore[attr-defined]
    original = chat.handle_location

    async def spy(sender: str, lat: float, lon: float, channel: str = "web") -> object:
        seen.append((sender, lat, lon, channel))
        return await original(sender, lat, lon, channel)

    chat.handle_location = spy
    assert h.post_twilio(name).status_code == 200
    assert wait_until(lambda: len(h.twilio.bodies(RESIDENT_WA)) == 1)
    params = MANIFEST["samples"][name]["params"]
    assert seen == [(RESIDENT_WA, float(params["Latitude"]), float(params["Longitude"]), "whatsapp")]


def test_nik_and_phone_never_reach_the_logs(
    make_harness: Callable[..., Harness], caplog: pytest.LogCaptureFixture
) -> None:
    h = make_harness()
    with caplog.at_level("DEBUG"):
        h.post_twilio("02_text_with_nik")
        assert wait_until(lambda: len(h.twilio.bodies(RESIDENT_WA)) == 1)
        h.idle()
    for secret in ("3174012304850003", "0812-3456-7890", "6281234567890", "Budi"):
        assert secret not in caplog.text


@pytest.mark.parametrize("signature", [None, "", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "forged"])
def test_missing_or_forged_signature_is_refused_and_nothing_processed(
    make_harness: Callable[..., Harness], signature: str | None
) -> None:
    h = make_harness()
    assert h.post_twilio("01_text", signature=signature).status_code == 403
    h.idle()
    assert h.rasa.received == [] and h.twilio.created == []
    from sqlalchemy import text

    with _store(h).engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM channel_inbox")).scalar() == 0


def test_signature_for_the_url_seen_behind_the_proxy_is_refused(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    # Signed for http://testserver/..., the URL this app sees; Twilio signs the public URL.
    sig = MANIFEST["samples"]["01_text"]["X-Twilio-Signature_for_testserver_url"]
    assert h.post_twilio("01_text", signature=sig).status_code == 403


def test_tampered_body_is_refused(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    path, body, headers = twilio_sample("01_text")
    r = h.client.post(path, content=body.replace(b"vaksin", b"paspor"), headers=headers)
    assert r.status_code == 403


def test_json_bodied_callback_is_validated_with_its_body_hash(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    path, body, headers = twilio_sample("11_json_body_bodySHA256")
    assert h.client.post(path, content=body, headers=headers).status_code == 200
    assert h.client.post(path, content=body + b" ", headers=headers).status_code == 403
    h.idle()
    assert h.rasa.received == []


def test_a_redelivered_message_is_processed_once(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    for _ in range(3):
        assert h.post_twilio("01_text").status_code == 200
    h.idle()
    assert len(h.rasa.received) == 1 and len(h.twilio.bodies(RESIDENT_WA)) == 1


def test_long_reply_is_split_to_1600(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    assert _post_text(h, "SM" + "1" * 32, "jawaban panjang") == 200
    assert wait_until(lambda: len(h.twilio.bodies(RESIDENT_WA)) >= 8)
    h.idle()
    parts = h.twilio.bodies(RESIDENT_WA)
    assert all(len(p.encode("utf-16-le")) // 2 <= MAX_WHATSAPP_CHARS for p in parts)
    assert " ".join(parts).split() == LONG_TEXT.split()
    assert (
        len(parts) == -(-len(LONG_TEXT) // MAX_WHATSAPP_CHARS)
        or len(parts) == -(-len(LONG_TEXT) // MAX_WHATSAPP_CHARS) + 1
    )


@pytest.mark.parametrize("answer", ["2", " 2. ", "kartu identitas ANAK"])
def test_numbered_options_round_trip(make_harness: Callable[..., Harness], answer: str) -> None:
    h = make_harness()
    assert _post_text(h, "SM" + "2" * 32, "menu") == 200
    assert wait_until(lambda: len(h.twilio.bodies(RESIDENT_WA)) == 1)
    menu = h.twilio.bodies(RESIDENT_WA)[0]
    assert "*1.* KTP elektronik" in menu and "*2.* Kartu Identitas Anak" in menu and "angka" in menu
    assert _post_text(h, "SM" + "3" * 32, answer) == 200
    assert wait_until(lambda: len(h.twilio.bodies(RESIDENT_WA)) == 2)
    assert h.rasa.messages(RESIDENT_WA)[-1] == LONG_PAYLOAD
    assert h.twilio.bodies(RESIDENT_WA)[1].startswith("Pilihan diterima: /choose_service")


def test_a_number_without_options_is_plain_text(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    assert _post_text(h, "SM" + "4" * 32, "3") == 200
    assert wait_until(lambda: len(h.twilio.bodies(RESIDENT_WA)) == 1)
    assert h.rasa.messages() == ["3"]


def test_status_callbacks_track_window_and_blocking(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    h.post_twilio("01_text")
    assert wait_until(lambda: len(h.twilio.bodies(RESIDENT_WA)) == 1)
    assert _store(h).user(RESIDENT_WA).last_inbound_at is not None
    assert h.post_twilio("09_status_read").status_code == 200
    assert _store(h).user(RESIDENT_WA).last_inbound_at is not None
    assert h.post_twilio("10_status_failed_63016").status_code == 200
    assert _store(h).user(RESIDENT_WA).last_inbound_at is None
    assert h.post_twilio("10_status_failed_63016", signature="forged").status_code == 403


def test_twilio_429_is_retried_with_backoff(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    h.twilio.too_many = 3
    h.post_twilio("01_text")
    assert wait_until(lambda: len(h.twilio.bodies(RESIDENT_WA)) == 1)
    assert h.twilio.attempts == 4


def test_webhooks_are_404_when_whatsapp_is_not_configured(make_harness: Callable[..., Harness]) -> None:
    h = make_harness(TWILIO_AUTH_TOKEN="", fast=False)
    assert h.post_twilio("01_text").status_code == 404
    assert h.post_twilio("09_status_read").status_code == 404


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("whatsapp:+6281234567890", "whatsapp:+6281234567890"),
        ("whatsapp:6281234567890", "whatsapp:+6281234567890"),
        ("+62 812-3456-7890", "whatsapp:+6281234567890"),
        ("whatsapp:", None),
        ("whatsapp:abc", None),
    ],
)
def test_sender_is_e164(raw: str, expected: str | None) -> None:
    assert whatsapp_sender(raw) == expected
