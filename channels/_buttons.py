"""Which button payloads were offered to whom: only those may reach Rasa as `/intent{...}`."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from channels._shared import SharedState

__all__ = ["OfferedButtons"]

log = logging.getLogger(__name__)
_STATE_ERRORS = (RedisError, SQLAlchemyError, OSError, ValueError)


class OfferedButtons:
    """Per-sender set of offered payloads with a TTL: a local copy, written through to shared state when given.

    `offer` and `was_offered` stay synchronous (ChatService calls them); with several gateway processes the
    channel layer awaits `flush` before a reply goes out and `refresh` before a payload is checked.
    """

    def __init__(self, ttl_s: float = 3600.0, max_senders: int = 50_000) -> None:
        self._ttl = ttl_s
        self._max = max_senders
        self._data: OrderedDict[str, tuple[float, set[str]]] = OrderedDict()
        self.shared: SharedState | None = None
        self._writes: dict[str, asyncio.Task[None]] = {}

    def share(self, state: SharedState | None) -> None:
        """Keep offers in `state` too, so a button offered by one gateway process is accepted by another."""
        self.shared = state

    def _key(self, sender: str) -> str:
        return f"offered:{sender}"

    def offer(self, sender: str, payloads: list[str]) -> None:
        """Remember the payloads just shown to this sender (replacing older ones)."""
        if not payloads:
            return
        self._data[sender] = (time.monotonic() + self._ttl, set(payloads))
        self._data.move_to_end(sender)
        while len(self._data) > self._max:
            self._data.popitem(last=False)
        if self.shared is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called outside the event loop: nothing shares it anyway
            return
        task = loop.create_task(self._write(sender, sorted(set(payloads)), self._writes.get(sender)))
        self._writes[sender] = task
        task.add_done_callback(lambda t: self._writes.pop(sender, None) if self._writes.get(sender) is t else None)

    async def _write(self, sender: str, payloads: list[str], previous: asyncio.Task[None] | None) -> None:
        if previous is not None:
            await asyncio.wait([previous])  # writes for one sender land in the order they were offered
        assert self.shared is not None
        try:
            await self.shared.set(self._key(sender), json.dumps(payloads, ensure_ascii=False), self._ttl)
        except _STATE_ERRORS as exc:
            log.warning("offered buttons not shared", extra={"error": type(exc).__name__})

    async def flush(self, sender: str) -> None:
        """Wait until this sender's offers are in the shared state (call before the reply is sent)."""
        task = self._writes.get(sender)
        if task is not None:
            await asyncio.wait([task])

    async def refresh(self, sender: str) -> None:
        """Take this sender's offers from the shared state (another process may have offered the newest ones)."""
        if self.shared is None:
            return
        await self.flush(sender)
        try:
            raw = await self.shared.get(self._key(sender))
            payloads = json.loads(raw) if raw else None
        except _STATE_ERRORS as exc:
            log.warning("offered buttons not readable", extra={"error": type(exc).__name__})
            return
        if isinstance(payloads, list) and payloads:
            self._data[sender] = (time.monotonic() + self._ttl, {str(p) for p in payloads})
            self._data.move_to_end(sender)
        else:
            self._data.pop(sender, None)

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
