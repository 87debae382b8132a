"""BM25 over weighted service fields, with stems and bigrams as terms."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from knowledge_base._text import Analyzer
from knowledge_base.schema import Service

__all__ = ["FIELD_WEIGHTS", "LexicalIndex", "service_fields"]

# Names and the residents' own words decide; requirements mention KK/akta everywhere (hub documents).
FIELD_WEIGHTS: dict[str, float] = {
    "name": 3.0,
    "aliases": 3.0,
    "keywords": 2.0,
    "examples": 1.0,
    "summary": 1.0,
    "category": 0.5,
    "tenant": 0.5,
}


def service_fields(service: Service, tenant_name: str) -> dict[str, list[str]]:
    """The text of each searchable field of a service."""
    return {
        "name": [service.name],
        "aliases": list(service.aliases),
        "keywords": list(service.keywords),
        "examples": list(service.examples),
        "summary": [service.summary],
        "category": [service.category],
        "tenant": [tenant_name],
    }


class LexicalIndex:
    """A BM25F-style index: field term frequencies weighted and summed per service."""

    def __init__(self, analyzer: Analyzer, k1: float = 1.2, b: float = 0.5) -> None:
        self.analyzer = analyzer
        self.k1, self.b = k1, b
        self.vocab: dict[str, int] = {}
        self.idf = np.zeros(0, dtype=np.float32)
        self.matrix = np.zeros((0, 0), dtype=np.float32)

    def build(self, docs: Sequence[dict[str, list[str]]]) -> None:
        """Index documents given as {field: [texts]}."""
        counts: list[defaultdict[str, float]] = []
        for doc in docs:
            c: defaultdict[str, float] = defaultdict(float)
            for fname, texts in doc.items():
                w = FIELD_WEIGHTS.get(fname, 1.0)
                for text in texts:
                    # Each alias counts once per term: many aliases must not drown a precise one.
                    for term in set(self.analyzer.terms(text)):
                        c[term] += w
            counts.append(c)
        vocab = sorted({t for c in counts for t in c})
        self.vocab = {t: i for i, t in enumerate(vocab)}
        tf = np.zeros((len(docs), len(vocab)), dtype=np.float32)
        for d, c in enumerate(counts):
            for t, v in c.items():
                tf[d, self.vocab[t]] = v
        df = (tf > 0).sum(axis=0)
        n = len(docs)
        self.idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        lengths = tf.sum(axis=1)
        norm = self.k1 * (1 - self.b + self.b * lengths / max(float(lengths.mean()), 1e-6))
        self.matrix = (tf * (self.k1 + 1) / (tf + norm[:, None])).astype(np.float32)

    def query_terms(self, text: str) -> list[int]:
        """Indices of the query's known terms (repeats kept)."""
        return [self.vocab[t] for t in self.analyzer.terms(text) if t in self.vocab]

    def score(self, text: str) -> np.ndarray:
        """BM25 score of every document for the query."""
        ids = self.query_terms(text)
        if not ids:
            return np.zeros(self.matrix.shape[0], dtype=np.float32)
        idx = np.asarray(ids)
        return (self.matrix[:, idx] * self.idf[idx]).sum(axis=1)

    def max_idf_mass(self, text: str) -> float:
        """Sum of idf of all query terms, known or not: the best score a query could reach."""
        total = 0.0
        n = self.matrix.shape[0]
        for t in self.analyzer.terms(text):
            i = self.vocab.get(t)
            total += float(self.idf[i]) if i is not None else math.log(1.0 + (n + 0.5) / 0.5)
        return total
