"""Buttons on platforms without free-form buttons: WhatsApp numbered options, Telegram's 64-byte callback data."""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from collections import OrderedDict

from channels.schemas import Button

__all__ = ["CallbackTokens", "NumberedOptions", "normalise_answer"]

_NUMBER_RE = re.compile(r"^(?:no\.?|nomor|pilih(?:an)?)?\s*(\d{1,2})\s*[.)]?$")
CALLBACK_MAX_BYTES = 64


def normalise_answer(text: str) -> str:
    """Lower case, no accents, no punctuation, single spaces: how option words are compared."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


class _TtlMap:
    """A bounded map whose entries expire."""

    def __init__(self, ttl_s: float, max_items: int) -> None:
        self._ttl = ttl_s
        self._max = max_items
        self._data: OrderedDict[str, tuple[float, object]] = OrderedDict()

    def put(self, key: str, value: object) -> None:
        self._data[key] = (time.monotonic() + self._ttl, value)
        self._data.move_to_end(key)
        while len(self._data) > self._max:
            self._data.popitem(last=False)

    def get(self, key: str) -> object | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            self._data.pop(key, None)
            return None
        return entry[1]


class NumberedOptions:
    """The options last shown to each WhatsApp resident, so "1", "2" or the option's words answer them."""

    def __init__(self, ttl_s: float = 24 * 3600, max_senders: int = 100_000) -> None:
        self._map = _TtlMap(ttl_s, max_senders)

    def remember(self, sender: str, buttons: list[Button]) -> None:
        """Remember the numbered options just sent."""
        if buttons:
            self._map.put(sender, [(b.title, b.payload) for b in buttons])

    def resolve(self, sender: str, text: str) -> str | None:
        """The payload a reply picks ("1", "no. 2", or an option's title), or None."""
        options = self._map.get(sender)
        if not isinstance(options, list) or not text:
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

    def __init__(self, ttl_s: float = 7 * 24 * 3600, max_items: int = 200_000) -> None:
        self._map = _TtlMap(ttl_s, max_items)

    def encode(self, payload: str) -> str:
        """The callback data for this payload (the payload itself when it fits and cannot be mistaken for a token)."""
        if len(payload.encode("utf-8")) <= CALLBACK_MAX_BYTES and not payload.startswith("#"):
            return payload
        token = "#" + hashlib.blake2b(payload.encode("utf-8"), digest_size=12).hexdigest()
        self._map.put(token, payload)
        return token

    def decode(self, data: str) -> str | None:
        """The payload behind callback data (None when a token expired or came from another process)."""
        if not data.startswith("#"):
            return data
        value = self._map.get(data)
        return value if isinstance(value, str) else None
