"""Search speed: per-query latency with the model loaded, batch throughput, RSS, index build time.

Usage: .venv/bin/python bench/search_speed.py [--repeat 3]
Queries: the dev set (tests/data/search_dev.jsonl), one at a time, then as one batch.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._devset import DEV, load_cases
from knowledge_base.search import SearchConfig, SearchEngine


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    """Measure and print a markdown table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    queries = [c.query for c in load_cases(DEV)]

    rss0 = _rss_mb()
    t0 = time.perf_counter()
    engine = SearchEngine.from_settings()
    load_s = time.perf_counter() - t0
    rss_loaded = _rss_mb()
    engine.search("syarat ktp")  # warm caches

    print(
        f"index load (cached, model included): {load_s:.2f} s; peak RSS {rss0:.0f} MB before, {rss_loaded:.0f} MB after"
    )
    print("| method | p50 ms | p95 ms | p99 ms | batch queries/s |")
    print("|---|---|---|---|---|")
    methods = {
        "hybrid (default)": engine,
        "lexical only": SearchEngine(engine.catalogue, engine.index_dir, SearchConfig(dense="none")),
    }
    for name, eng in methods.items():
        lat: list[float] = []
        for _ in range(args.repeat):
            for q in queries:
                t = time.perf_counter()
                eng.search(q)
                lat.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        for _ in range(args.repeat):
            eng.search_many(queries)
        qps = args.repeat * len(queries) / (time.perf_counter() - t)
        print(f"| {name} | {statistics.median(lat):.2f} | {_pct(lat, 95):.2f} | {_pct(lat, 99):.2f} | {qps:.0f} |")

    # Rebuild from scratch in a temporary index dir: lexical build + passage encoding (model cached).
    tmp = Path(tempfile.mkdtemp())
    try:
        for enc in engine.index_dir.glob("encoder"):
            shutil.copytree(enc, tmp / "encoder")
        t = time.perf_counter()
        fresh = SearchEngine(engine.catalogue, tmp, engine.config)
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
