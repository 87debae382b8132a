"""Service catalogue and search: the data residents ask about and the way to find it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from knowledge_base.catalogue import CatalogueError, load_catalogue, validate_catalogue
from knowledge_base.schema import Catalogue, Service, Tenant

if TYPE_CHECKING:
    from knowledge_base.search import Hit, SearchConfig, SearchEngine, SearchResult

__all__ = [
    "Catalogue",
    "CatalogueError",
    "Hit",
    "SearchConfig",
    "SearchEngine",
    "SearchResult",
    "Service",
    "Tenant",
    "load_catalogue",
    "validate_catalogue",
]


def __getattr__(name: str) -> Any:
    # The search stack (numpy, torch) loads only when asked for: catalogue tools stay light.
    if name in {"Hit", "SearchConfig", "SearchEngine", "SearchResult"}:
        from knowledge_base import search

        return getattr(search, name)
    raise AttributeError(name)
