"""Which button payloads were offered to whom: only those may reach Rasa as `/intent{...}`."""

from __future__ import annotations

import time
from collections import OrderedDict

__all__ = ["OfferedButtons"]


class OfferedButtons:
    """Per-sender set of offered payloads, kept in process memory with a TTL and a size cap."""

    def __init__(self, ttl_s: float = 3600.0, max_senders: int = 50_000) -> None:
        self._ttl = ttl_s
        self._max = max_senders
        self._data: OrderedDict[str, tuple[float, set[str]]] = OrderedDict()

    def offer(self, sender: str, payloads: list[str]) -> None:
        """Remember the payloads just shown to this sender (replacing older ones)."""
        if not payloads:
            return
        self._data[sender] = (time.monotonic() + self._ttl, set(payloads))
        self._data.move_to_end(sender)
        while len(self._data) > self._max:
            self._data.popitem(last=False)

    def was_offered(self, sender: str, payload: str) -> bool:
        """True when this exact payload was offered to this sender and has not expired."""
        entry = self._data.get(sender)
        if entry is None:
            return False
        expires, payloads = entry
        if expires < time.monotonic():
            self._data.pop(sender, None)
            return False
        return payload in payloads
