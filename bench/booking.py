"""Booking throughput: bookings/s and latency of `BookingService.book` at concurrency 1 and 32.

Usage: .venv/bin/python bench/booking.py [--bookings 1000] [--repeat 3] [--postgres URL]
Each run books into a fresh database (SQLite file; PostgreSQL in a private schema when --postgres is
given): distinct residents spread over the free seats of MPP Tenggarong on the next working days
(the capacity race itself is tested in tests/booking: 500 attempts on 10 seats give 10 bookings).
Concurrency 1 is the baseline of the same go; the ratio is what the concurrency buys.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, create_engine, text

from knowledge_base.catalogue import load_catalogue
from knowledge_base.offices import load_offices
from mpp.booking import BookingError, BookingService
from mpp.booking.dates import WITA
from mpp.db import engine_for, migrate
from mpp.settings import Settings

SERVICE = "ktp_hilang"  # Disdukcapil: every working day at MPP Tenggarong
NOW = dt.datetime(2026, 12, 4, 7, 0, tzinfo=WITA)


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@contextmanager
def _database(postgres: str | None) -> Iterator[Engine]:
    if postgres is None:
        with tempfile.TemporaryDirectory() as tmp:
            eng = engine_for(f"sqlite:///{Path(tmp) / 'bench.db'}")
            migrate(eng)
            yield eng
            eng.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = create_engine(postgres, connect_args={"options": f"-csearch_path={schema}"}, pool_size=40, max_overflow=0)
    try:
        migrate(eng)
        yield eng
    finally:
        eng.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _run(svc: BookingService, n: int, concurrency: int) -> dict[str, float]:
    slots: list[dt.datetime] = []
    day = NOW.date()
    while len(slots) < n:
        day += dt.timedelta(days=1)
        for s in svc.free_slots("mpp_tenggarong", SERVICE, day):
            slots.extend([s.start] * s.free)
    latencies: list[float] = []
    refused = 0
    lock = threading.Lock()

    def one(i: int) -> None:
        nonlocal refused
        t0 = time.perf_counter()
        try:
            svc.book(f"bench:{uuid.uuid4().hex}", "web", "mpp_tenggarong", SERVICE, slots[i], "Warga Bench")
            ok = True
        except BookingError:
            ok = False
        ms = (time.perf_counter() - t0) * 1000
        with lock:
            latencies.append(ms)
            refused += not ok

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, range(n)))
    wall = time.perf_counter() - started
    return {
        "per_s": (n - refused) / wall,
        "p50": _pct(latencies, 50),
        "p95": _pct(latencies, 95),
        "refused": refused,
    }


def main() -> None:
    """Run and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bookings", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", default=None, help="SQLAlchemy URL of a PostgreSQL database")
    args = parser.parse_args()
    directory = load_offices(load_catalogue(Settings().catalogue_dir))
    backend = "PostgreSQL" if args.postgres else "SQLite"
    results: dict[int, list[dict[str, float]]] = {1: [], 32: []}
    for _ in range(args.repeat):
        for conc in (1, 32):
            with _database(args.postgres) as eng:
                svc = BookingService(directory, eng, max_active=5, horizon_days=60, clock=lambda: NOW)
                results[conc].append(_run(svc, args.bookings, conc))
    print(f"| backend | concurrency | bookings/s (median of {args.repeat}) | p50 ms | p95 ms | refused |")
    print("|---|---|---|---|---|---|")
    base = statistics.median(r["per_s"] for r in results[1])
    for conc, runs in results.items():
        per_s = statistics.median(r["per_s"] for r in runs)
        p50 = statistics.median(r["p50"] for r in runs)
        p95 = statistics.median(r["p95"] for r in runs)
        refused = max(r["refused"] for r in runs)
        print(f"| {backend} | {conc} | {per_s:.0f} (×{per_s / base:.2f}) | {p50:.1f} | {p95:.1f} | {refused:.0f} |")


if __name__ == "__main__":
    main()
