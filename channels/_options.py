"""Buttons on platforms without free-form buttons: WhatsApp numbered options, Telegram's 64-byte callback data."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata

from channels._shared import MemoryState, SharedState
from channels.schemas import Button

__all__ = ["CallbackTokens", "NumberedOptions", "normalise_answer"]

_NUMBER_RE = re.compile(r"^(?:no\.?|nomor|pilih(?:an)?)?\s*(\d{1,2})\s*[.)]?$")
CALLBACK_MAX_BYTES = 64


def normalise_answer(text: str) -> str:
    """Lower case, no accents, no punctuation, single spaces: how option words are compared."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


class NumberedOptions:
    """The options last shown to each WhatsApp resident, so "1", "2" or the option's words answer them."""

    def __init__(self, state: SharedState | None = None, ttl_s: float = 24 * 3600) -> None:
        self.state: SharedState = state or MemoryState(100_000)
        self._ttl = ttl_s

    async def remember(self, sender: str, buttons: list[Button]) -> None:
        """Remember the numbered options just sent (before they are sent: the answer may reach another process)."""
        if buttons:
            options = [[b.title, b.payload] for b in buttons]
            await self.state.set(f"wa-options:{sender}", json.dumps(options, ensure_ascii=False), self._ttl)

    async def resolve(self, sender: str, text: str) -> str | None:
        """The payload a reply picks ("1", "no. 2", or an option's title), or None."""
        if not text:
            return None
        raw = await self.state.get(f"wa-options:{sender}")
        try:
            options = json.loads(raw) if raw else None
        except ValueError:
            return None
        if not isinstance(options, list):
            return None
        answer = normalise_answer(text)
        m = _NUMBER_RE.match(answer)
        if m:
            n = int(m.group(1))
            return str(options[n - 1][1]) if 0 < n <= len(options) else None
        for title, payload in options:
            if answer and answer == normalise_answer(str(title)):
                return str(payload)
        return None


class CallbackTokens:
    """Payloads longer than Telegram's 64-byte `callback_data` travel as a short token."""

    def __init__(self, state: SharedState | None = None, ttl_s: float = 7 * 24 * 3600) -> None:
        self.state: SharedState = state or MemoryState(200_000)
        self._ttl = ttl_s

    async def encode(self, payload: str) -> str:
        """The callback data for this payload (the payload itself when it fits and cannot be mistaken for a token)."""
        if len(payload.encode("utf-8")) <= CALLBACK_MAX_BYTES and not payload.startswith("#"):
            return payload
        token = "#" + hashlib.blake2b(payload.encode("utf-8"), digest_size=12).hexdigest()
        await self.state.set(f"tg-token:{token}", payload, self._ttl)
        return token

    async def decode(self, data: str) -> str | None:
        """The payload behind callback data (None when a token expired or was never issued)."""
        if not data.startswith("#"):
            return data
        return await self.state.get(f"tg-token:{data}")
