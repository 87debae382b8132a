"""Hybrid service search: Indonesian-aware BM25 fused with a catalogue-tuned dense encoder."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from knowledge_base._dense import E5Encoder, Encoder, StEncoder, base_model_path, finetune
from knowledge_base._lexical import LexicalIndex, service_fields
from knowledge_base._text import Analyzer
from knowledge_base._training import confusable_batches, passage_text, training_groups
from knowledge_base.catalogue import load_catalogue
from knowledge_base.schema import Catalogue, Service

__all__ = ["Hit", "SearchConfig", "SearchEngine", "SearchResult"]

log = logging.getLogger(__name__)
DenseKind = Literal["finetuned", "base", "e5", "none"]
_TRAINING_VERSION = "ft-v2"


@dataclass(frozen=True)
class Hit:
    """One ranked service."""

    id: str
    name: str
    tenant: str
    score: float


@dataclass(frozen=True)
class SearchResult:
    """The answer to one query; `confident` is False when no service is claimed."""

    query: str
    confident: bool
    results: list[Hit]
    margin: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `mpp search --json`."""
        return {"query": self.query, "confident": self.confident, "results": [asdict(h) for h in self.results]}


@dataclass(frozen=True)
class SearchConfig:
    """Fusion weight and out-of-scope thresholds (chosen on the dev set, see docs/SEARCH.md)."""

    dense: DenseKind = "finetuned"
    alpha: float = 0.55  # weight of the lexical score in the fusion
    min_cosine: float = 0.45  # below this the dense side sees no matching service
    min_lexical: float = 4.0  # BM25 of the best service below this: no strong word evidence
    min_coverage: float = 0.5  # share of content words the catalogue knows
    epochs: int = 2
    extra: dict[str, Any] = field(default_factory=dict)


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


class SearchEngine:
    """Ranks services for a resident's question; thread-safe for reads, `reindex` swaps atomically."""

    def __init__(self, catalogue: Catalogue, index_dir: Path, config: SearchConfig | None = None) -> None:
        self.config = config or SearchConfig()
        self.index_dir = index_dir
        self._lock = threading.Lock()
        self.encoder: Encoder | None = None
        self.timings: dict[str, float] = {}
        self._build(catalogue)

    # -- construction ------------------------------------------------------------------------------
    @classmethod
    def from_settings(cls, config: SearchConfig | None = None) -> SearchEngine:
        """Load the catalogue and index named by the settings."""
        from mpp.settings import get_settings

        s = get_settings()
        cfg = config or SearchConfig(dense=s.search_dense)
        return cls(load_catalogue(s.catalogue_dir), s.index_dir, cfg)

    def _build(self, catalogue: Catalogue) -> None:
        t0 = time.perf_counter()
        services = [s for s in catalogue.services if not s.retired]
        tenant_names = {t.id: f"{t.short_name} {t.name}" for t in catalogue.tenants}
        docs = [service_fields(s, tenant_names.get(s.tenant, s.tenant)) for s in services]
        analyzer = Analyzer()
        analyzer.fit_vocabulary(t for d in docs for texts in d.values() for t in texts)
        lexical = LexicalIndex(analyzer)
        lexical.build(docs)
        t1 = time.perf_counter()
        passages = [passage_text(s, tenant_names.get(s.tenant, s.tenant)) for s in services]
        encoder, vecs = self._dense_side(services, passages, lexical)
        t2 = time.perf_counter()
        with self._lock:
            self.catalogue = catalogue
            self.services = services
            self.analyzer = analyzer
            self.lexical = lexical
            self.encoder = encoder
            self.doc_vecs = vecs
        self.timings = {"lexical_s": round(t1 - t0, 3), "dense_s": round(t2 - t1, 3)}

    def _dense_side(
        self, services: list[Service], passages: list[str], lexical: LexicalIndex
    ) -> tuple[Encoder | None, np.ndarray | None]:
        kind = self.config.dense
        if kind == "none":
            return None, None
        encoder: Encoder
        if kind == "e5":
            encoder = self.encoder if isinstance(self.encoder, E5Encoder) else E5Encoder()
        elif kind == "base":
            encoder = self.encoder if isinstance(self.encoder, StEncoder) else StEncoder(base_model_path())
        else:
            encoder = self._finetuned_encoder(services, passages, lexical)
        key = _digest(encoder.name, *passages)
        cache = self.index_dir / f"docs-{key}.npy"
        if cache.exists():
            return encoder, np.load(cache)
        vecs = encoder.passages(passages)
        self.index_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npy")
        np.save(tmp, vecs)
        tmp.replace(cache)
        return encoder, vecs

    def _finetuned_encoder(self, services: list[Service], passages: list[str], lexical: LexicalIndex) -> Encoder:
        """The newest fine-tuned model; trained once when none exists for this catalogue."""
        model_root = self.index_dir / "encoder"
        key = _digest(_TRAINING_VERSION, str(self.config.epochs), *passages)
        target = model_root / key
        if isinstance(self.encoder, StEncoder) and self.encoder.name == f"st:{key}":
            return self.encoder
        if not (target / "mpp_training.json").exists():
            existing = sorted(model_root.glob("*/mpp_training.json"), key=lambda p: p.stat().st_mtime)
            if existing and self.encoder is not None:
                # Live re-index (staff publish): keep the current model, encode the new passages;
                # retraining for the changed catalogue happens at the next `mpp kb index`.
                return self.encoder
            groups = training_groups(services, passages, self._query_text_with(lexical.analyzer))
            batches = confusable_batches(services, lexical)
            log.info("fine-tuning the search encoder", extra={"services": len(groups), "batches": len(batches)})
            stats = finetune(groups, batches, target.with_suffix(".partial"), epochs=self.config.epochs)
            target.with_suffix(".partial").replace(target)
            log.info("fine-tuned", extra=stats)
        return StEncoder(target)

    def reindex(self, catalogue: Catalogue | None = None, catalogue_dir: Path | None = None) -> None:
        """Rebuild from a new catalogue without a restart; searches keep running meanwhile."""
        if catalogue is None:
            from mpp.settings import get_settings

            catalogue = load_catalogue(catalogue_dir or get_settings().catalogue_dir)
        self._build(catalogue)

    # -- querying ----------------------------------------------------------------------------------
    @staticmethod
    def _query_text_with(analyzer: Analyzer) -> Callable[[str], str]:
        def norm(query: str) -> str:
            return " ".join(analyzer.words(query)) or query.lower()

        return norm

    def _query_text(self, query: str) -> str:
        return self._query_text_with(self.analyzer)(query)

    def search(self, query: str, k: int = 5) -> SearchResult:
        """Rank services for one query."""
        return self.search_many([query], k)[0]

    def search_many(self, queries: Sequence[str], k: int = 5) -> list[SearchResult]:
        """Rank services for several queries (dense side batched)."""
        with self._lock:
            services, lexical, encoder, doc_vecs = self.services, self.lexical, self.encoder, self.doc_vecs
        cfg = self.config
        qvecs = None
        if encoder is not None and doc_vecs is not None and queries:
            qvecs = encoder.queries([self._query_text(q) for q in queries])
        results = []
        for qi, query in enumerate(queries):
            lex = lexical.score(query)
            lex_max = float(lex.max()) if lex.size else 0.0
            fused = lex / lex_max if lex_max > 0 else np.zeros_like(lex)
            cos_max = 0.0
            if qvecs is not None and doc_vecs is not None:
                cos = doc_vecs @ qvecs[qi]
                cos_max = float(cos.max())
                lo = float(np.median(cos))
                dense = np.clip((cos - lo) / max(cos_max - lo, 1e-6), 0.0, 1.0)
                fused = cfg.alpha * fused + (1 - cfg.alpha) * dense
            order = np.argsort(-fused, kind="stable")[:k]
            hits = [Hit(services[i].id, services[i].name, services[i].tenant, round(float(fused[i]), 4)) for i in order]
            margin = float(fused[order[0]] - fused[order[1]]) if len(order) > 1 else 1.0
            coverage = self.analyzer.coverage(query)
            confident = bool(hits) and self._confident(lex_max, cos_max, coverage, qvecs is not None)
            results.append(SearchResult(query=query, confident=confident, results=hits, margin=round(margin, 4)))
        return results

    def _confident(self, lex_max: float, cos_max: float, coverage: float, has_dense: bool) -> bool:
        cfg = self.config
        if coverage < cfg.min_coverage and lex_max < 2 * cfg.min_lexical:
            return False
        if has_dense:
            return cos_max >= cfg.min_cosine or lex_max >= cfg.min_lexical * 1.5
        return lex_max >= cfg.min_lexical

    def signals(self, query: str) -> dict[str, float]:
        """The raw signals behind `confident` (used to calibrate thresholds)."""
        lex = self.lexical.score(query)
        out = {"lex_max": float(lex.max()) if lex.size else 0.0, "coverage": self.analyzer.coverage(query)}
        if self.encoder is not None and self.doc_vecs is not None:
            out["cos_max"] = float((self.doc_vecs @ self.encoder.queries([self._query_text(query)])[0]).max())
        return out

    def describe(self) -> dict[str, Any]:
        """Facts about the loaded index."""
        return {
            "services": len(self.services),
            "dense": self.encoder.name if self.encoder else None,
            "vocabulary": len(self.lexical.vocab),
            "timings": self.timings,
            "config": json.loads(json.dumps(asdict(self.config))),
        }
