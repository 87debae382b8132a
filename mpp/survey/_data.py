"""The SKM method's data (mpp/survey/data/skm.yml), read once into typed records."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Category", "Element", "Method", "method"]

_PATH = Path(__file__).parent / "data" / "skm.yml"


@dataclass(frozen=True)
class Element:
    """One of the nine SKM elements (unsur)."""

    code: str
    name: str
    question: str
    labels: tuple[str, str, str, str]


@dataclass(frozen=True)
class Category:
    """A service quality grade (mutu) with the lower bound of its converted interval."""

    grade: str
    performance: str
    minimum: Decimal
    maximum: Decimal


@dataclass(frozen=True)
class Method:
    """Everything the computation and the chat need from the regulation."""

    elements: tuple[Element, ...]
    conversion: int
    categories: tuple[Category, ...]  # best first
    sample_table: tuple[tuple[int, int], ...]  # (population N, minimum respondents S), N ascending
    complaint_words: frozenset[str]
    complaint_phrases: tuple[str, ...]
    negations: frozenset[str]

    @property
    def codes(self) -> tuple[str, ...]:
        """Element codes in order (U1..U9)."""
        return tuple(e.code for e in self.elements)

    def element(self, code: str) -> Element:
        """The element with this code (KeyError when unknown)."""
        for e in self.elements:
            if e.code == code:
                return e
        raise KeyError(code)


def _element(raw: dict[str, Any]) -> Element:
    labels = tuple(str(x) for x in raw["labels"])
    if len(labels) != 4:
        raise ValueError(f"{raw['code']}: exactly 4 answer labels expected")
    return Element(code=raw["code"], name=raw["name"], question=raw["question"], labels=labels)


@lru_cache(maxsize=1)
def method() -> Method:
    """The SKM method, read once."""
    raw: dict[str, Any] = yaml.safe_load(_PATH.read_text(encoding="utf-8"))
    cats = tuple(
        Category(str(c["grade"]), str(c["performance"]), Decimal(str(c["min"])), Decimal(str(c["max"])))
        for c in raw["categories"]
    )
    words = raw["complaint_words"]
    return Method(
        elements=tuple(_element(e) for e in raw["elements"]),
        conversion=int(raw["conversion"]),
        categories=tuple(sorted(cats, key=lambda c: c.minimum, reverse=True)),
        sample_table=tuple(sorted((int(n), int(s)) for n, s in raw["sample_size"]["table"])),
        complaint_words=frozenset(str(w).lower() for w in words["words"]),
        complaint_phrases=tuple(str(p).lower() for p in words["phrases"]),
        negations=frozenset(str(w).lower() for w in words["negations"]),
    )
