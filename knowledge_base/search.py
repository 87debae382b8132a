"""Hybrid service search: Indonesian-aware BM25 fused with a catalogue-tuned dense encoder."""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from knowledge_base._dense import E5Encoder, Encoder, StEncoder, base_model_path, finetune, set_threads
from knowledge_base._domain import DomainClassifier, anchors_for, load_out_of_scope
from knowledge_base._e5 import TunedE5Encoder, finetune_e5
from knowledge_base._lexical import LexicalIndex, service_fields
from knowledge_base._onnx import Runtime, runtime_name
from knowledge_base._text import Analyzer
from knowledge_base._training import TEMPLATES, confusable_batches, passage_text, training_groups
from knowledge_base.catalogue import load_catalogue
from knowledge_base.schema import Catalogue, Service

__all__ = ["Hit", "SearchConfig", "SearchEngine", "SearchResult"]

log = logging.getLogger(__name__)
DenseKind = Literal["finetuned+e5tuned", "e5tuned", "e5tuned+e5", "finetuned", "base", "e5", "finetuned+e5", "none"]
_TRAINING_VERSION = "ft-v3"
_E5_TRAINING_VERSION = "e5ft-v1"
_HASH_DIM = 4096


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

    dense: DenseKind = "finetuned+e5tuned"
    alpha: float = 0.5  # weight of the lexical score in the fusion
    min_cosine: float = 0.45  # below this the dense side sees no matching service
    min_lexical: float = 4.0  # BM25 of the best service below this: no strong word evidence
    min_coverage: float = 0.5  # share of content words the catalogue knows
    min_domain: float = 0.6  # P(in domain) from the out-of-scope classifier: enough on its own
    min_domain_with_evidence: float = 0.1  # ... or this much plus strong word or vector evidence
    evidence_lexical: float = 25.0
    evidence_cosine: float = 0.6
    epochs: int = 2
    layers: int = 3  # transformer layers kept in the tuned MiniLM (latency on two cores)
    e5_layers: int = 4  # transformer layers of e5-small kept and tuned ("e5tuned")
    train_if_stale: bool = False  # retune the encoder when the catalogue changed (`mpp kb index`)
    # Later dense views are consulted only when BM25 + the first encoder leave the top two services
    # closer than this; 1.0 consults them on every query, side by side with the first (the default:
    # the tuned e5 costs about what the MiniLM does, and a cascade would put both in a row on the
    # close calls, which set the p95). Below 1.0 saves CPU on a saturated machine (docs/SEARCH.md).
    cascade_margin: float = 1.0
    # Threads of each encoder at query time (0: all cores). One each: the two views run side by side,
    # one per core, instead of four threads fighting over two cores (docs/BENCHMARKS.md).
    threads: int = 1
    # What runs the tuned encoders on queries (passages are always encoded by torch at fp32): ONNX
    # Runtime gives torch's vectors in about half the time; "onnx-int8" is faster again, with
    # vectors 0.99 cosine to fp32 and quality within a question or two (docs/SEARCH.md).
    runtime: Runtime = "onnx"


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def _rescale(cos: np.ndarray) -> np.ndarray:
    """Per-row min-max on [median, best]: dense scores of different encoders become comparable."""
    top = cos.max(axis=1, keepdims=True)
    low = np.median(cos, axis=1, keepdims=True)
    return np.clip((cos - low) / np.maximum(top - low, 1e-6), 0.0, 1.0)


def _top_margin(scores: np.ndarray) -> np.ndarray:
    """Best minus second-best score of each row (1.0 when there is no second)."""
    if scores.shape[1] < 2:
        return np.ones(len(scores), dtype=scores.dtype)
    top2 = -np.partition(-scores, 1, axis=1)[:, :2]
    return top2[:, 0] - top2[:, 1]


class SearchEngine:
    """Ranks services for a resident's question; thread-safe for reads, `reindex` swaps atomically."""

    def __init__(self, catalogue: Catalogue, index_dir: Path, config: SearchConfig | None = None) -> None:
        self.config = config or SearchConfig()
        self.index_dir = index_dir
        self._lock = threading.Lock()
        self.encoder: Encoder | None = None
        self.dense: list[tuple[Encoder, np.ndarray]] = []
        self.domain: DomainClassifier | None = None
        self.timings: dict[str, float] = {}
        self._executor: ThreadPoolExecutor | None = None
        self._build(catalogue)

    # -- construction ------------------------------------------------------------------------------
    @classmethod
    def from_settings(cls, config: SearchConfig | None = None) -> SearchEngine:
        """Load the catalogue and index named by the settings."""
        from mpp.settings import get_settings

        s = get_settings()
        cfg = config or SearchConfig(
            dense=s.search_dense,
            cascade_margin=s.search_cascade_margin,
            threads=s.search_threads,
            runtime=s.search_runtime,
        )
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
        dense = self._dense_side(services, passages, lexical)
        t2 = time.perf_counter()
        domain = self._domain_classifier(services, analyzer, dense[0][0] if dense else None)
        t3 = time.perf_counter()
        if dense:
            set_threads(self.config.threads)  # queries only: tuning and passage encoding used all cores
        with self._lock:
            self.catalogue = catalogue
            self.services = services
            self.passages = passages
            self.analyzer = analyzer
            self.lexical = lexical
            self.dense = dense
            self.encoder = dense[0][0] if dense else None
            self.domain = domain
        self.timings = {"lexical_s": round(t1 - t0, 3), "dense_s": round(t2 - t1, 3), "domain_s": round(t3 - t2, 3)}

    def _dense_side(
        self, services: list[Service], passages: list[str], lexical: LexicalIndex
    ) -> list[tuple[Encoder, np.ndarray]]:
        kinds = {
            "none": [],
            "finetuned+e5": ["finetuned", "e5"],
            "e5tuned+e5": ["e5tuned", "e5"],
            "finetuned+e5tuned": ["finetuned", "e5tuned"],
        }.get(self.config.dense, [self.config.dense])
        previous = {enc.name: enc for enc, _ in getattr(self, "dense", [])}
        out: list[tuple[Encoder, np.ndarray]] = []
        for kind in kinds:
            encoder: Encoder
            if kind == "e5":
                encoder = previous.get(E5Encoder.name) or E5Encoder()
            elif kind == "base":
                encoder = previous.get(f"st:{base_model_path().name}") or StEncoder(base_model_path())
            else:
                encoder = self._tuned_encoder(kind, services, passages, lexical, previous)
            out.append((encoder, self._passage_vectors(encoder, passages)))
        return out

    def _passage_vectors(self, encoder: Encoder, passages: list[str]) -> np.ndarray:
        """Passage vectors, cached per passage: a staff edit to one service re-encodes that one only."""
        cache = self.index_dir / f"passages-{_digest(encoder.name)}.npz"
        known: dict[str, np.ndarray] = {}
        if cache.exists():
            with np.load(cache) as data:
                known = dict(zip(data["keys"].tolist(), data["vecs"], strict=True))
        keys = [_digest(p) for p in passages]
        missing = [i for i, k in enumerate(keys) if k not in known]
        if missing:
            for i, vec in zip(missing, encoder.passages([passages[i] for i in missing]), strict=True):
                known[keys[i]] = vec
            self.index_dir.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(".tmp.npz")
            # The current passages, plus a few hundred earlier versions (an edit undone, a test
            # catalogue) so that the file does not grow with every edit.
            current = set(keys)
            kept = list(dict.fromkeys(keys)) + [k for k in known if k not in current][:256]
            with tmp.open("wb") as fh:
                np.savez(fh, keys=np.array(kept), vecs=np.stack([known[k] for k in kept]))
            tmp.replace(cache)
        return np.stack([known[k] for k in keys]).astype(np.float32)

    def _domain_features(self, analyzer: Analyzer, encoder: Encoder | None, texts: Sequence[str]) -> np.ndarray:
        """Hashed bag of analyzer terms, joined with the query embedding when there is one."""
        bag = np.zeros((len(texts), _HASH_DIM), dtype=np.float32)
        for i, t in enumerate(texts):
            for term in analyzer.terms(t):
                bag[i, zlib.crc32(term.encode()) % _HASH_DIM] = 1.0
        bag /= np.maximum(np.linalg.norm(bag, axis=1, keepdims=True), 1e-6)
        if encoder is None:
            return bag
        norm = self._query_text_with(analyzer)
        return np.hstack([bag, encoder.queries([norm(t) for t in texts])])

    def _domain_classifier(
        self, services: list[Service], analyzer: Analyzer, encoder: Encoder | None
    ) -> DomainClassifier | None:
        """Train (once, cached) the in-domain vs out-of-scope classifier."""
        outside = anchors_for(load_out_of_scope())
        if not outside:
            return None
        rng = random.Random(13)
        phrasings = [t for s in services for t in (s.name, *s.aliases, *s.examples)]
        inside = anchors_for(phrasings + [rng.choice(TEMPLATES).format(x=t.lower()) for t in phrasings])
        key = _digest("domain-v2", encoder.name if encoder else "-", *inside, "\0", *outside)
        cache = self.index_dir / f"domain-{key}.npz"
        if cache.exists():
            return DomainClassifier.load(cache)
        clf = DomainClassifier.fit(
            self._domain_features(analyzer, encoder, inside), self._domain_features(analyzer, encoder, outside)
        )
        self.index_dir.mkdir(parents=True, exist_ok=True)
        clf.save(cache)
        return clf

    def _tuned_encoder(
        self,
        kind: str,
        services: list[Service],
        passages: list[str],
        lexical: LexicalIndex,
        previous: dict[str, Encoder],
    ) -> Encoder:
        """The newest encoder of `kind` tuned on the catalogue; trained once when none exists for it."""
        e5 = kind == "e5tuned"
        prefix = "e5tuned:" if e5 else "st:"
        layers = self.config.e5_layers if e5 else self.config.layers
        model_root = self.index_dir / ("encoder-e5" if e5 else "encoder")
        groups = training_groups(services, passages, self._query_text_with(lexical.analyzer))
        key = _digest(
            _E5_TRAINING_VERSION if e5 else _TRAINING_VERSION,
            str(self.config.epochs),
            str(layers),
            *passages,
            *(a for _, g in groups for a in g),
        )
        target = model_root / key
        runtime = self.config.runtime
        loaded = runtime_name(f"{prefix}{key}", runtime)
        if loaded in previous:
            return previous[loaded]
        current = next(
            (e for n, e in previous.items() if n.startswith(prefix) and n != f"st:{base_model_path().name}"), None
        )

        def load(path: Path) -> Encoder:
            threads = self.config.threads
            return (
                TunedE5Encoder(path, runtime=runtime, threads=threads)
                if e5
                else StEncoder(path, runtime=runtime, threads=threads)
            )

        if not (target / "mpp_training.json").exists():
            if current is not None:
                # Live re-index (staff publish): keep the current model, encode the new passages;
                # retraining for the changed catalogue happens at the next `mpp kb index`.
                return current
            newest = sorted(model_root.glob("*/mpp_training.json"), key=lambda p: p.stat().st_mtime)
            if newest and not self.config.train_if_stale:
                log.info("catalogue changed since the encoder was tuned; run `mpp kb index` to retune")
                return load(newest[-1].parent)
            batches = confusable_batches(services, lexical)
            log.info(
                "fine-tuning the search encoder", extra={"kind": kind, "services": len(groups), "batches": len(batches)}
            )
            partial = target.with_suffix(".partial")
            if e5:
                stats = finetune_e5(groups, batches, partial, layers=layers, epochs=self.config.epochs)
            else:
                stats = finetune(groups, batches, partial, epochs=self.config.epochs, layers=layers)
            partial.replace(target)
            log.info("fine-tuned", extra=stats)
        return load(target)

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
            services, lexical, dense, domain = self.services, self.lexical, self.dense, self.domain
        if not queries:
            return []
        texts = [self._query_text(q) for q in queries]
        lex = np.stack([lexical.score(q) for q in queries]).astype(np.float32)
        lex_max = lex.max(axis=1) if lex.shape[1] else np.zeros(len(queries), dtype=np.float32)
        fused = lex / np.where(lex_max > 0, lex_max, 1.0)[:, None]
        cos_max = np.zeros(len(queries), dtype=np.float32)
        p_domain = None
        if dense:
            # Views consulted on every query run side by side: each encoder pass is one thread of
            # torch work that releases the GIL, so on an idle machine a query costs the slower
            # pass, not the sum.
            always = len(dense) > 1 and self.config.cascade_margin >= 1.0
            pending = [self._pool().submit(enc.queries, texts) for enc, _ in dense[1:]] if always else []
            first = dense[0][0].queries(texts)
            cos_max = (first @ dense[0][1].T).max(axis=1)
            fused = self._fuse(fused, texts, first, dense, [f.result() for f in pending] if always else None)
            if domain is not None:
                bag = self._domain_features(self.analyzer, None, queries)
                p_domain = domain.probability(np.hstack([bag, first]))
        elif domain is not None:
            p_domain = domain.probability(self._domain_features(self.analyzer, None, queries))
        results = []
        for qi, query in enumerate(queries):
            order = np.argsort(-fused[qi], kind="stable")[:k]
            hits = [
                Hit(services[i].id, services[i].name, services[i].tenant, round(float(fused[qi, i]), 4)) for i in order
            ]
            margin = float(fused[qi, order[0]] - fused[qi, order[1]]) if len(order) > 1 else 1.0
            p_in = float(p_domain[qi]) if p_domain is not None else None
            confident = (
                bool(hits)
                and bool(self.analyzer.words(query))
                and self._confident(
                    float(lex_max[qi]), float(cos_max[qi]), self.analyzer.coverage(query), bool(dense), p_in
                )
            )
            results.append(SearchResult(query=query, confident=confident, results=hits, margin=round(margin, 4)))
        return results

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="search-view")
        return self._executor

    def _fuse(
        self,
        lexical: np.ndarray,
        texts: Sequence[str],
        first: np.ndarray,
        dense: list[tuple[Encoder, np.ndarray]],
        later_vectors: list[np.ndarray] | None = None,
    ) -> np.ndarray:
        """Fuse normalised BM25 with the dense views; the later views only where the first left a close call.

        Each dense score is rescaled per query (median -> 0, best -> 1) and the views are averaged.
        A later view (e5) costs twice the first on two cores, while on most questions BM25 plus the
        tuned encoder already put one service clearly ahead (docs/SEARCH.md, "Cascade").
        """
        alpha = self.config.alpha
        views = _rescale(first @ dense[0][1].T)
        fused = alpha * lexical + (1 - alpha) * views
        margin = self.config.cascade_margin
        need = np.flatnonzero((_top_margin(fused) < margin) | (margin >= 1.0))
        if len(dense) < 2 or not need.size:
            return fused
        if later_vectors is None:
            later = [texts[int(i)] for i in need]
            later_vectors = [enc.queries(later) for enc, _ in dense[1:]]
        else:
            later_vectors = [v[need] for v in later_vectors]
        views = views[need] + sum(
            _rescale(vecs @ doc_vecs.T) for vecs, (_, doc_vecs) in zip(later_vectors, dense[1:], strict=True)
        )
        fused[need] = alpha * lexical[need] + (1 - alpha) * views / len(dense)
        return fused

    def _confident(self, lex_max: float, cos_max: float, coverage: float, has_dense: bool, p_in: float | None) -> bool:
        cfg = self.config
        if p_in is not None:
            strong = lex_max >= cfg.evidence_lexical or (has_dense and cos_max >= cfg.evidence_cosine)
            return lex_max > 0 and (p_in >= cfg.min_domain or (p_in >= cfg.min_domain_with_evidence and strong))
        if coverage < cfg.min_coverage and lex_max < 2 * cfg.min_lexical:
            return False
        if has_dense:
            return cos_max >= cfg.min_cosine or lex_max >= cfg.min_lexical * 1.5
        return lex_max >= cfg.min_lexical

    def signals(self, query: str) -> dict[str, float]:
        """The raw signals behind `confident` (used to calibrate thresholds)."""
        lex = self.lexical.score(query)
        out = {"lex_max": float(lex.max()) if lex.size else 0.0, "coverage": self.analyzer.coverage(query)}
        if self.dense:
            enc, doc_vecs = self.dense[0]
            q = enc.queries([self._query_text(query)])
            out["cos_max"] = float((doc_vecs @ q[0]).max())
            if self.domain is not None:
                bag = self._domain_features(self.analyzer, None, [query])
                out["p_in"] = float(self.domain.probability(np.hstack([bag, q]))[0])
        return out

    def describe(self) -> dict[str, Any]:
        """Facts about the loaded index."""
        return {
            "services": len(self.services),
            "dense": [enc.name for enc, _ in self.dense],
            "domain_classifier": self.domain is not None,
            "vocabulary": len(self.lexical.vocab),
            "timings": self.timings,
            "config": json.loads(json.dumps(asdict(self.config))),
        }
