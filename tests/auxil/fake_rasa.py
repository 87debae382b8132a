"""A scripted Rasa REST channel on 127.0.0.1: menus with buttons, long answers, echoes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.auxil.fake_http import FakeHttpServer

LONG_PAYLOAD = '/choose_service{"service_id":"disdukcapil-penerbitan-kartu-identitas-anak-baru-lahir-sampai-17-tahun"}'
MENU_BUTTONS = [
    {"title": "KTP elektronik", "payload": '/choose_service{"service_id":"disdukcapil-ktp-el"}'},
    {"title": "Kartu Identitas Anak", "payload": LONG_PAYLOAD},
]
LOCATION_BUTTONS = [
    {"title": "📍 Kirim lokasi", "payload": "/share_location"},
    {"title": "Tulis nama kecamatan", "payload": "/inform_kecamatan"},
]
LONG_TEXT = ("Persyaratan *KTP elektronik*: fotokopi KK, surat pengantar RT. " * 200).strip()  # ~12,600 characters


def script(message: str, sender: str) -> list[dict[str, Any]]:
    """What the fake assistant answers."""
    if message.startswith("/choose_service"):
        return [{"recipient_id": sender, "text": f"Pilihan diterima: {message}"}]
    if "menu" in message:
        return [{"recipient_id": sender, "text": "Layanan mana yang Bapak/Ibu maksud?", "buttons": MENU_BUTTONS}]
    if "kantor terdekat" in message:
        return [{"recipient_id": sender, "text": "Di mana lokasi Bapak/Ibu?", "buttons": LOCATION_BUTTONS}]
    if "panjang" in message:
        return [{"recipient_id": sender, "text": LONG_TEXT}]
    return [{"recipient_id": sender, "text": f"Anda menulis: {message}"}]


class FakeRasa:
    """Answers `POST /webhooks/rest/webhook` from `script`, recording what it received."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.delay_s = 0.0
        self.server = FakeHttpServer(self._handle)

    @property
    def url(self) -> str:
        """What RASA_URL points at."""
        return self.server.url

    def _handle(self, method: str, path: str, _headers: dict[str, str], body: dict[str, Any]) -> tuple[int, Any]:
        if method == "GET":
            return 200, {"version": "3.6.21"}
        with self.server.lock:
            self.received.append(body)
        time.sleep(self.delay_s)
        return 200, script(str(body.get("message", "")), str(body.get("sender", "")))

    def messages(self, sender: str | None = None) -> list[str]:
        """Messages received, optionally from one sender."""
        with self.server.lock:
            return [str(b["message"]) for b in self.received if sender is None or b.get("sender") == sender]


@contextmanager
def fake_rasa() -> Iterator[FakeRasa]:
    """A running fake Rasa."""
    fake = FakeRasa()
    fake.server.start()
    try:
        yield fake
    finally:
        fake.server.stop()
