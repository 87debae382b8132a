"""Server-side staff sessions: Redis when REDIS_URL is set, the `staff_sessions` table otherwise."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from typing import Protocol

from sqlalchemy import Engine, delete

from mpp.console.models import StaffSession
from mpp.db import session_scope

__all__ = [
    "DbSessionStore",
    "LoginLimiter",
    "RedisSessionStore",
    "SessionData",
    "SessionStore",
    "new_token",
]


def new_token() -> str:
    """A random, URL-safe secret."""
    return secrets.token_urlsafe(32)


def _key(token: str) -> str:
    # Only the hash is stored: a leaked session table or Redis dump cannot be replayed as cookies.
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SessionData:
    """What a session remembers."""

    user_id: int
    epoch: int
    csrf: str
    created: float


class SessionStore(Protocol):
    """Where sessions live."""

    def create(self, user_id: int, epoch: int) -> tuple[str, SessionData]:
        """Start a session; returns the cookie token and its data."""
        ...

    def get(self, token: str) -> SessionData | None:
        """The session of a cookie token, or None when unknown or expired."""
        ...

    def delete(self, token: str) -> None:
        """End one session."""
        ...


class RedisSessionStore:
    """Sessions as Redis keys with a TTL."""

    def __init__(self, url: str, ttl: dt.timedelta, prefix: str = "mpp:console:session:") -> None:
        import redis

        self.redis = redis.Redis.from_url(url)
        self.ttl = ttl
        self.prefix = prefix

    def create(self, user_id: int, epoch: int) -> tuple[str, SessionData]:
        """Start a session."""
        token = new_token()
        data = SessionData(user_id=user_id, epoch=epoch, csrf=new_token(), created=time.time())
        self.redis.set(self.prefix + _key(token), json.dumps(asdict(data)), ex=int(self.ttl.total_seconds()))
        return token, data

    def get(self, token: str) -> SessionData | None:
        """Look a session up."""
        raw = self.redis.get(self.prefix + _key(token))
        return SessionData(**json.loads(raw)) if raw else None

    def delete(self, token: str) -> None:
        """End one session."""
        self.redis.delete(self.prefix + _key(token))


class DbSessionStore:
    """Sessions as rows of `staff_sessions` (expired rows are purged when new sessions start)."""

    def __init__(self, engine: Engine, ttl: dt.timedelta) -> None:
        self.engine = engine
        self.ttl = ttl

    def create(self, user_id: int, epoch: int) -> tuple[str, SessionData]:
        """Start a session."""
        token = new_token()
        data = SessionData(user_id=user_id, epoch=epoch, csrf=new_token(), created=time.time())
        now = dt.datetime.now(dt.timezone.utc)
        with session_scope(self.engine) as db:
            db.execute(delete(StaffSession).where(StaffSession.expires_at < now))
            db.add(StaffSession(token_hash=_key(token), user_id=user_id, data=asdict(data), expires_at=now + self.ttl))
        return token, data

    def get(self, token: str) -> SessionData | None:
        """Look a session up."""
        with session_scope(self.engine) as db:
            row = db.get(StaffSession, _key(token))
            if row is None:
                return None
            expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=dt.timezone.utc)
            if expires < dt.datetime.now(dt.timezone.utc):
                return None
            return SessionData(**row.data)

    def delete(self, token: str) -> None:
        """End one session."""
        with session_scope(self.engine) as db:
            db.execute(delete(StaffSession).where(StaffSession.token_hash == _key(token)))


class LoginLimiter:
    """At most `limit` sign-in attempts per key (client address, e-mail) per window."""

    def __init__(self, limit: int, window_s: int, redis_url: str | None = None) -> None:
        self.limit = limit
        self.window_s = window_s
        self._redis = None
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url)
        self._hits: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> bool:
        """Count an attempt; False when the key is over its limit."""
        if self._redis is not None:
            rkey = f"mpp:console:login:{_key(key)}"
            count = int(self._redis.incr(rkey))
            if count == 1:
                self._redis.expire(rkey, self.window_s)
            return count <= self.limit
        now = time.monotonic()
        with self._lock:
            hits = [t for t in self._hits.get(key, []) if now - t < self.window_s]
            hits.append(now)
            self._hits[key] = hits
            return len(hits) <= self.limit
