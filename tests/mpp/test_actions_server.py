"""The action server's search cache and the silenced rasa-sdk version warning."""

from __future__ import annotations

import warnings
from typing import Any

from mpp.actions_server import SearchCache, silence_version_warning


class _Engine:
    """Counts searches; `services` is replaced on reindex like SearchEngine's."""

    def __init__(self) -> None:
        self.services: list[str] = ["a"]
        self.calls = 0

    def search(self, query: str, k: int = 5) -> Any:
        self.calls += 1
        return (query, k, self.calls)


def test_repeats_are_answered_from_memory() -> None:
    engine = _Engine()
    cache = SearchCache(engine, size=2)
    first = cache("syarat ktp")
    assert cache("syarat ktp") is first and engine.calls == 1
    assert cache("syarat ktp", k=10) is not first  # k is part of the key
    cache("biaya paspor")
    cache("akta lahir")  # evicts the least recently used
    assert engine.calls == 4 and (cache.hits, cache.misses) == (1, 4)


def test_reindex_empties_the_cache() -> None:
    engine = _Engine()
    cache = SearchCache(engine, size=10)
    cache("syarat ktp")
    engine.services = ["a", "b"]
    cache("syarat ktp")
    assert engine.calls == 2


def test_version_warning_is_silenced_only() -> None:
    from rasa_sdk import utils

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        silence_version_warning()
        utils.check_version_compatibility("3.6.21")
        warnings.warn("something else", UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["something else"]
