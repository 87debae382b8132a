"""Exactly-once acceptance of platform updates: Redis `SET NX EX`, the SQL table when Redis is absent or down."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

from channels._store import ChannelStore

__all__ = ["DEDUPE_TTL_S", "Deduper"]

log = logging.getLogger(__name__)
DEDUPE_TTL_S = 48 * 3600  # platforms retry for up to 24 h (Telegram) and Twilio replays idempotency tokens


class Deduper:
    """Claims update keys once; a redelivered key is refused for `ttl_s` seconds."""

    def __init__(
        self, store: ChannelStore, redis: Redis | None = None, *, prefix: str = "mpp:", ttl_s: int = DEDUPE_TTL_S
    ):
        self.store = store
        self.redis = redis
        self.prefix = prefix
        self.ttl_s = ttl_s

    async def claim_redis(self, key: str) -> bool | None:
        """Redis's answer for `key`, or None when the database must decide (no Redis, or Redis down)."""
        if self.redis is None:
            return None
        try:
            return bool(await self.redis.set(f"{self.prefix}dedupe:{key}", "1", nx=True, ex=self.ttl_s))
        except (RedisError, OSError) as exc:
            log.warning("redis unavailable, dedupe falls back to the database", extra={"error": type(exc).__name__})
            return None

    async def claim(self, key: str) -> bool:
        """True the first time `key` is seen."""
        claimed = await self.claim_redis(key)
        if claimed is not None:
            return claimed
        return await asyncio.to_thread(self.store.dedupe_claim, key, self.ttl_s)

    async def release(self, key: str) -> None:
        """Forget `key` so the platform's retry is accepted."""
        if self.redis is not None:
            with contextlib.suppress(RedisError, OSError):
                await self.redis.delete(f"{self.prefix}dedupe:{key}")
        await asyncio.to_thread(self.store.dedupe_release, key)
