"""Token buckets: outbound pacing per chat and in total, and flood control per resident."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict

__all__ = ["Bucket", "KeyedBuckets", "Pacer"]


class Bucket:
    """A token bucket: `rate` tokens per second, at most `burst` saved up."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def try_take(self) -> bool:
        """Take one token if there is one."""
        self._refill()
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def reserve(self) -> float:
        """Take one token now or on credit; return how long to wait before using it."""
        self._refill()
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


class KeyedBuckets:
    """One bucket per key (chat, resident), least recently used keys forgotten past `max_keys`."""

    def __init__(self, rate: float, burst: float, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self._max = max_keys
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()

    def get(self, key: str) -> Bucket:
        """The bucket of this key (created full)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(self.rate, self.burst)
            while len(self._buckets) > self._max:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return bucket

    def try_take(self, key: str) -> bool:
        """Take one token from this key's bucket if there is one."""
        return self.get(key).try_take()


class Pacer:
    """Waits as long as needed so sends stay within a per-chat and a global rate."""

    def __init__(self, per_chat: float, per_chat_burst: float, total: float, total_burst: float) -> None:
        self._chats = KeyedBuckets(per_chat, per_chat_burst)
        self._total = Bucket(total, total_burst)

    async def wait(self, chat: str) -> None:
        """Sleep until one more message to `chat` is allowed."""
        delay = max(self._chats.get(chat).reserve(), self._total.reserve())
        if delay > 0:
            await asyncio.sleep(delay)
