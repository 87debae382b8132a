"""State every gateway process must see (offered buttons, numbered options, callback tokens): Redis, SQL or memory."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from channels._store import ChannelStore

__all__ = ["DbState", "MemoryState", "RedisState", "SharedState"]

log = logging.getLogger(__name__)


class SharedState(Protocol):
    """A small key-value store with expiry."""

    async def get(self, key: str) -> str | None:
        """The value under `key`, or None when absent or expired."""
        ...

    async def set(self, key: str, value: str, ttl_s: float) -> None:
        """Store `value` under `key` for `ttl_s` seconds."""
        ...


class MemoryState:
    """Process memory, bounded: enough for a single gateway process (the default `make run`)."""

    def __init__(self, max_items: int = 200_000) -> None:
        self._max = max_items
        self._data: OrderedDict[str, tuple[float, str]] = OrderedDict()

    async def get(self, key: str) -> str | None:
        """The value under `key`, or None when absent or expired."""
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            self._data.pop(key, None)
            return None
        return entry[1]

    async def set(self, key: str, value: str, ttl_s: float) -> None:
        """Store `value` under `key` for `ttl_s` seconds (least recently written keys go past `max_items`)."""
        self._data[key] = (time.monotonic() + ttl_s, value)
        self._data.move_to_end(key)
        while len(self._data) > self._max:
            self._data.popitem(last=False)


class DbState:
    """The `channel_state` table: shared by every gateway process on the same database."""

    def __init__(self, store: ChannelStore) -> None:
        self.store = store

    async def get(self, key: str) -> str | None:
        """The value under `key`, or None when absent or expired."""
        return await asyncio.to_thread(self.store.state_get, key)

    async def set(self, key: str, value: str, ttl_s: float) -> None:
        """Store `value` under `key` for `ttl_s` seconds."""
        await asyncio.to_thread(self.store.state_set, key, value, ttl_s)


class RedisState:
    """Redis keys `<prefix>st:<key>` with a TTL; while Redis is down, the fallback (the database) serves."""

    def __init__(self, redis: Redis, prefix: str, fallback: SharedState | None = None) -> None:
        self.redis = redis
        self.prefix = f"{prefix}st:"
        self.fallback = fallback

    def _down(self, exc: Exception) -> None:
        log.warning("redis unavailable, channel state falls back", extra={"error": type(exc).__name__})

    async def get(self, key: str) -> str | None:
        """The value under `key`, or None when absent or expired."""
        try:
            raw = await self.redis.get(self.prefix + key)
        except (RedisError, OSError) as exc:
            self._down(exc)
            return await self.fallback.get(key) if self.fallback is not None else None
        if raw is None:
            return None
        return raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)

    async def set(self, key: str, value: str, ttl_s: float) -> None:
        """Store `value` under `key` for `ttl_s` seconds."""
        try:
            await self.redis.set(self.prefix + key, value, ex=max(1, math.ceil(ttl_s)))
        except (RedisError, OSError) as exc:
            self._down(exc)
            if self.fallback is not None:
                await self.fallback.set(key, value, ttl_s)
