"""Serving the rasa-sdk action server on 127.0.0.1 with the search index loaded before the first call."""

from __future__ import annotations

import logging
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledge_base.search import SearchEngine, SearchResult

__all__ = ["SearchCache", "serve_actions", "silence_version_warning"]

log = logging.getLogger(__name__)


def silence_version_warning() -> None:
    """Drop rasa-sdk's per-call "versions might not be compatible" warning (checked, see below).

    rasa-sdk 3.21 compares its A.B with the calling Rasa's (3.6) and warns on every action call.
    The action-server protocol this project uses (webhook JSON: tracker, domain, events,
    responses) is the same in both; the end-to-end tests run every action through Rasa 3.6.21.
    """
    warnings.filterwarnings("ignore", message=r"Your versions of rasa and rasa_sdk might not be compatible")


class SearchCache:
    """A thread-safe LRU in front of `SearchEngine.search`, emptied when the catalogue changes."""

    def __init__(self, engine: SearchEngine, size: int) -> None:
        self._search: Callable[[str, int], SearchResult] = engine.search
        self._engine = engine
        self._size = size
        self._items: OrderedDict[tuple[str, int], SearchResult] = OrderedDict()
        self._lock = threading.Lock()
        self._services = engine.services
        self.hits = 0
        self.misses = 0

    def __call__(self, query: str, k: int = 5) -> SearchResult:
        """The engine's answer for (query, k), computed once per catalogue."""
        key = (query, k)
        with self._lock:
            if self._engine.services is not self._services:  # reindexed: old answers may be wrong
                self._items.clear()
                self._services = self._engine.services
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return hit
        result = self._search(query, k)
        with self._lock:
            self.misses += 1
            self._items[key] = result
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return result


def serve_actions(port: int, search_cache: int = 0) -> None:
    """Run the action server in this process (blocks)."""
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    silence_version_warning()
    from rasa_sdk.endpoint import create_app
    from rasa_sdk.executor import ActionExecutor

    from actions._kb import get_engine

    engine = get_engine()  # load the index and model now, not on a resident's first question
    from mpp.console.live import watch_catalogue

    watch_catalogue(engine)  # what staff publish in the console reaches residents without a restart
    if search_cache > 0:
        # The actions call engine.search(); answering repeats from memory is the largest saving per
        # turn (two encoder passes, ~25 ms of both cores). Lives here, not in actions/ or
        # knowledge_base/, because it is a serving choice of this process.
        object.__setattr__(engine, "search", SearchCache(engine, search_cache))
    executor = ActionExecutor()
    executor.register_package("actions")
    app = create_app(executor, cors_origins=None)
    log.info("action server ready", extra={"port": port, "actions": len(executor.actions), "cache": search_cache})
    app.run(host="127.0.0.1", port=port, single_process=True, access_log=False, motd=False)
