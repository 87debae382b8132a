"""Following what staff publish: poll the catalogue version, re-index and re-read the offices in the background.

The action server re-indexes its search engine and refreshes its booking service; the gateway has no
search engine and refreshes the booking service it runs reminders and the console's office pages on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from mpp.console.catalogue import catalogue_version, effective_catalogue
from mpp.db import session_scope

if TYPE_CHECKING:
    from knowledge_base.schema import Catalogue
    from knowledge_base.search import SearchEngine
    from mpp.booking import BookingService

__all__ = ["LiveCatalogue", "bookings_follow", "follow_in_bookings", "watch_catalogue", "watch_offices"]

log = logging.getLogger(__name__)


class LiveCatalogue:
    """Keeps one process (its search engine, when it has one, and the hooks) in step with what staff publish."""

    def __init__(
        self,
        engine: SearchEngine | None,
        db_engine: Engine,
        directory: Path,
        interval_s: float = 1.0,
        on_change: list[Callable[[Catalogue], None]] | None = None,
    ) -> None:
        self.engine = engine
        self.on_change = on_change or []
        self.db_engine = db_engine
        self.directory = directory
        self.interval_s = interval_s
        self.version = 0  # the engine starts from the YAML files, i.e. version 0
        self.last_reindex_s = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self) -> bool:
        """Re-index when the published version changed; True when it did (one cheap query otherwise)."""
        with session_scope(self.db_engine) as db:
            version = catalogue_version(db)
            if version == self.version:
                return False
            catalogue = effective_catalogue(db, self.directory)
        started = time.perf_counter()
        if self.engine is not None and catalogue != self.engine.catalogue:  # office changes bump it too
            self.engine.reindex(catalogue)
        self.last_reindex_s = time.perf_counter() - started
        for hook in self.on_change:
            try:
                hook(catalogue)
            except (ValueError, OSError, SQLAlchemyError) as exc:
                log.warning("catalogue change not applied", extra={"hook": repr(hook), "error": str(exc)[:300]})
        log.info(
            "published catalogue applied",
            extra={"version": version, "from": self.version, "s": round(self.last_reindex_s, 2)},
        )
        self.version = version
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.refresh()
            except (SQLAlchemyError, OSError, ValueError) as exc:
                log.warning("catalogue refresh failed", extra={"error": str(exc)[:300]})

    def start(self) -> None:
        """Poll in a daemon thread (searches keep using the old index while a new one builds)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="catalogue-watch", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def bookings_follow(service: BookingService) -> Callable[[Catalogue], None]:
    """A hook that gives `service` the published catalogue and office settings."""

    def follow(catalogue: Catalogue) -> None:
        from mpp.console.offices import load_effective_offices

        with session_scope(service.engine) as db:
            service.directory = load_effective_offices(db, catalogue)

    return follow


def follow_in_bookings(catalogue: Catalogue) -> None:
    """Give this process's booking service the published catalogue and office settings."""
    from mpp.booking import get_booking_service

    bookings_follow(get_booking_service())(catalogue)


def watch_catalogue(engine: SearchEngine, interval_s: float = 1.0) -> LiveCatalogue:
    """Apply what staff published (now) and follow further publishes (in the background)."""
    from mpp.db import get_engine
    from mpp.settings import get_settings

    live = LiveCatalogue(engine, get_engine(), get_settings().catalogue_dir, interval_s, [follow_in_bookings])
    return _started(live)


def watch_offices(bookings: BookingService, directory: Path, interval_s: float = 1.0) -> LiveCatalogue:
    """The gateway's booking service: published offices and services now (after a restart too), and later."""
    return _started(LiveCatalogue(None, bookings.engine, directory, interval_s, [bookings_follow(bookings)]))


def _started(live: LiveCatalogue) -> LiveCatalogue:
    try:
        live.refresh()
    except (SQLAlchemyError, OSError, ValueError) as exc:
        log.warning("published catalogue not applied at start", extra={"error": str(exc)[:300]})
    live.start()
    return live
