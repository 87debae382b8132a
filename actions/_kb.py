"""The knowledge base as the actions see it: one search engine per process and the follow-up logic."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml

from knowledge_base.schema import Catalogue, Service
from knowledge_base.search import Hit, SearchEngine

__all__ = ["Resolution", "detect", "get_engine", "resolve_service", "vocab"]

_ENGINE: SearchEngine | None = None
_ENGINE_LOCK = threading.Lock()
# A confident top hit this close to the runner-up is a coin toss between siblings: ask, don't guess.
# On the dev set with the tuned-e5 fusion, 0.05 offers buttons on 7% of questions (the gold service
# among them 29 times of 30) and cuts wrong direct answers from 13 to 10 (0.02: 3%, 13 wrong); a
# bare "kartu keluarga" (new, changed or lost KK) lands at 0.045.
AMBIGUOUS_MARGIN = 0.05


def get_engine() -> SearchEngine:
    """The process-wide search engine (loaded once; queries never reload the model)."""
    global _ENGINE
    if _ENGINE is None:
        with _ENGINE_LOCK:
            if _ENGINE is None:
                _ENGINE = SearchEngine.from_settings()
    return _ENGINE


@lru_cache(maxsize=1)
def vocab() -> dict[str, dict[str, list[str]]]:
    """Aspect and variant words (actions/data/aspects.yml)."""
    data: dict[str, dict[str, list[str]]] = yaml.safe_load(
        (Path(__file__).parent / "data" / "aspects.yml").read_text(encoding="utf-8")
    )
    return data


def _find(kind: str, text: str) -> str | None:
    low = f" {text.lower()} "
    for name, words in vocab()[kind].items():
        for w in words:
            if re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", low):
                return name
    return None


def detect(text: str) -> tuple[str | None, str | None]:
    """(aspect, variant) named in the text by keyword, when the NLU gave none."""
    return _find("aspects", text), _find("variants", text)


def _content_words(engine: SearchEngine, text: str) -> list[str]:
    """Words that could name a service: analyzer words minus aspect and variant words."""
    ignore = {w for group in vocab().values() for words in group.values() for w in words for w in w.split()}
    return [w for w in engine.analyzer.words(text) if w not in ignore]


@dataclass(frozen=True)
class Resolution:
    """What the assistant should do with a service question."""

    kind: Literal["answer", "choose", "need_service", "not_found"]
    service_id: str | None = None
    candidates: list[Hit] = field(default_factory=list)


def _strip_variant_words(name: str) -> str:
    words = {w for ws in vocab()["variants"].values() for w in ws}
    return " ".join(t for t in re.split(r"\W+", name.lower()) if t and t not in words)


def resolve_service(
    engine: SearchEngine,
    text: str,
    *,
    variant: str | None = None,
    current_id: str | None = None,
) -> Resolution:
    """Decide which service a message is about, using the service last discussed for follow-ups."""
    catalogue: Catalogue = engine.catalogue
    current: Service | None = None
    if current_id:
        try:
            current = catalogue.service(current_id)
        except KeyError:
            current = None
    content = _content_words(engine, text)
    if not content:
        if current is None:
            return Resolution("need_service")
        if not variant:
            return Resolution("answer", current.id)
        return Resolution("answer", _sibling(engine, current, variant) or current.id)
    res = engine.search(text)
    if not res.results or not res.confident:
        return Resolution("not_found", candidates=res.results[:3])
    if res.margin >= AMBIGUOUS_MARGIN:
        return Resolution("answer", res.results[0].id)
    return Resolution("choose", candidates=res.results[:3])


def _sibling(engine: SearchEngine, current: Service, variant: str) -> str | None:
    """The variant of the current service ("kalau yang hilang?" after KTP baru gives KTP hilang)."""
    words = vocab()["variants"].get(variant, [variant])
    res = engine.search(f"{_strip_variant_words(current.name)} {variant}", k=10)
    for hit in res.results:
        if hit.id == current.id:
            continue
        s = engine.catalogue.service(hit.id)
        blob = " ".join([s.name, *s.aliases, *s.keywords]).lower()
        if s.tenant == current.tenant and any(re.search(rf"(?<![a-z]){re.escape(w)}", blob) for w in words):
            return s.id
    return None
