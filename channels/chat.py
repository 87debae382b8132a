"""The one path every channel's message takes to the assistant and back."""

from __future__ import annotations

import json
import logging
import math
import re
import time
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from channels._buttons import OfferedButtons
from channels.rasa_client import RasaClient, RasaUnavailableError
from channels.schemas import Button, OutMessage
from mpp.text import clean_input

__all__ = ["ChatService", "Replies"]

log = logging.getLogger(__name__)
_PAYLOAD_RE = re.compile(r"^/[A-Za-z_]+(\{.*\})?$", re.S)


@dataclass(frozen=True)
class Replies:
    """Fixed replies the gateway gives without asking Rasa."""

    empty: str = "Maaf, pesannya kosong. Silakan tulis pertanyaan Bapak/Ibu, contoh: *syarat bikin KTP*."
    no_words: str = (
        "Terima kasih 🙏 Ada yang bisa kami bantu? Silakan tulis pertanyaan Bapak/Ibu, contoh: *biaya paspor*."
    )
    trouble: str = "Maaf, sedang ada gangguan pada sistem kami. Mohon coba lagi beberapa saat lagi 🙏"
    bad_location: str = (
        "Maaf, lokasi itu tidak valid. Silakan kirim ulang lokasi, atau tulis nama desa/kecamatan Bapak/Ibu."
    )


class ChatService:
    """Normalises input, guards button payloads, calls Rasa and shapes the replies."""

    def __init__(self, rasa: RasaClient, buttons: OfferedButtons | None = None, replies: Replies | None = None) -> None:
        self.rasa = rasa
        self.buttons = buttons or OfferedButtons()
        self.replies = replies or Replies()
        # Staff takeover (channels/console): returns the reply instead of asking Rasa, or None.
        self.relay: Callable[[str, str, str], Awaitable[list[OutMessage] | None]] | None = None

    def _guard(self, sender: str, text: str) -> str:
        """A `/intent{...}` payload passes only when we offered it; anything else is plain text."""
        if text.startswith("/") and not (_PAYLOAD_RE.match(text) and self.buttons.was_offered(sender, text)):
            return text.lstrip("/ ") or text.replace("/", "")
        return text

    async def handle_text(self, sender: str, raw: str, channel: str = "web") -> list[OutMessage]:
        """Answer one text message (or button payload)."""
        text = clean_input(raw)
        if not text:
            return [OutMessage(text=self.replies.empty)]
        if not any(unicodedata.category(ch)[0] in "LN" for ch in text):
            return [OutMessage(text=self.replies.no_words)]
        if self.relay is not None and (held := await self.relay(sender, text, channel)) is not None:
            return held
        return await self._ask(sender, self._guard(sender, text), channel)

    async def _ask(self, sender: str, text: str, channel: str) -> list[OutMessage]:
        started = time.perf_counter()
        try:
            raw_msgs = await self.rasa.send(sender, text, {"channel": channel})
        except RasaUnavailableError as exc:
            log.warning("assistant unavailable", extra={"error": str(exc), "channel": channel})
            return [OutMessage(text=self.replies.trouble)]
        out = []
        for m in raw_msgs:
            buttons = [
                Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
                for b in m.get("buttons") or []
                if isinstance(b, dict) and b.get("payload")
            ]
            if m.get("text") or buttons:
                out.append(OutMessage(text=str(m.get("text") or ""), buttons=buttons))
        if not out:  # Rasa answers [] when an action failed
            log.warning("assistant returned nothing", extra={"channel": channel})
            return [OutMessage(text=self.replies.trouble)]
        self.buttons.offer(sender, [b.payload for m in out for b in m.buttons])
        log.info(
            "chat turn",
            extra={"channel": channel, "ms": round((time.perf_counter() - started) * 1000, 1), "replies": len(out)},
        )
        return out

    async def handle_location(self, sender: str, lat: float, lon: float, channel: str = "web") -> list[OutMessage]:
        """Answer a shared location: the booking form takes it as the resident's place, else nearest offices."""
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            return [OutMessage(text=self.replies.bad_location)]
        # Built here, not typed by the resident, so it bypasses the button guard on purpose.
        payload = "/share_location" + json.dumps({"lat": round(lat, 6), "lon": round(lon, 6)})
        return await self._ask(sender, payload, channel)
