"""Knowing when it does not know: an in-domain vs out-of-scope classifier on query embeddings."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import yaml

__all__ = ["DomainClassifier", "anchors_for", "load_out_of_scope"]

_OOS = Path(__file__).parent / "data" / "out_of_scope.yaml"


def load_out_of_scope(path: Path = _OOS) -> list[str]:
    """Messages no public service answers (knowledge_base/data/out_of_scope.yaml)."""
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [str(m) for m in data.get("messages") or []]


class DomainClassifier:
    """L2-regularised logistic regression: catalogue phrasings (in) vs out-of-scope messages (out)."""

    def __init__(self, weights: np.ndarray, bias: float) -> None:
        self.weights = weights.astype(np.float32)
        self.bias = float(bias)

    @classmethod
    def fit(
        cls, inside: np.ndarray, outside: np.ndarray, *, l2: float = 1e-3, steps: int = 300, lr: float = 2.0
    ) -> DomainClassifier:
        """Train with balanced class weights (the two sets differ a lot in size)."""
        x = np.vstack([inside, outside]).astype(np.float64)
        y = np.concatenate([np.ones(len(inside)), np.zeros(len(outside))])
        sw = np.where(y == 1, 0.5 / max(len(inside), 1), 0.5 / max(len(outside), 1))
        w = np.zeros(x.shape[1])
        b = 0.0
        for _ in range(steps):
            p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
            g = (p - y) * sw
            w -= lr * (x.T @ g + l2 * w)
            b -= lr * float(g.sum())
        return cls(w, b)

    def probability(self, vectors: np.ndarray) -> np.ndarray:
        """P(in domain) for each row."""
        z = vectors.astype(np.float32) @ self.weights + self.bias
        return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float32)

    def save(self, path: Path) -> None:
        """Write to an .npz file atomically."""
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, weights=self.weights, bias=np.array([self.bias]))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> DomainClassifier:
        """Read from an .npz file."""
        with np.load(path) as data:
            return cls(data["weights"], float(data["bias"][0]))


def anchors_for(texts: Sequence[str]) -> list[str]:
    """Deduplicated, lower-cased phrasings."""
    return sorted({t.strip().lower() for t in texts if t and t.strip()})
