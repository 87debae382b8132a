"""What the console needs at run time, built once per app (no I/O at import)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from mpp.console.sessions import DbSessionStore, LoginLimiter, RedisSessionStore, SessionStore
from mpp.settings import Settings, get_settings

__all__ = ["ConsoleState"]

LOGIN_LIMIT = 10  # attempts per client address and per e-mail in one window
LOGIN_WINDOW_S = 300


@dataclass
class ConsoleState:
    """Database engine, session store and sign-in limiter of the console."""

    settings: Settings
    engine: Engine
    sessions: SessionStore
    limiter: LoginLimiter

    @property
    def catalogue_dir(self) -> Path:
        """Where the YAML catalogue lives."""
        return self.settings.catalogue_dir

    @classmethod
    def create(cls, settings: Settings | None = None) -> ConsoleState:
        """Connect to the configured database (migrated) and Redis, when set."""
        from mpp.db import engine_for, get_engine, migrate

        s = settings or get_settings()
        if s.sqlalchemy_url == get_settings().sqlalchemy_url:
            engine = get_engine()
        else:
            engine = engine_for(s.sqlalchemy_url)
            migrate(engine)
        ttl = dt.timedelta(hours=s.console_session_hours)
        sessions: SessionStore = RedisSessionStore(s.redis_url, ttl) if s.redis_url else DbSessionStore(engine, ttl)
        return cls(
            settings=s, engine=engine, sessions=sessions, limiter=LoginLimiter(LOGIN_LIMIT, LOGIN_WINDOW_S, s.redis_url)
        )
