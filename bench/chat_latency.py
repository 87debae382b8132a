"""End-to-end latency of `POST /api/chat` (gateway -> Rasa -> action server -> search).

Starts the whole stack (or uses one already running with --url), then sends resident questions
from the dev set at concurrency 1, 8 and 32 for a fixed number of messages each, and reports
p50/p95/p99 and sustained messages/s. Every question is answered by the knowledge-base action.
With a stack of its own it also reports the cold start (process start until the first answer)
and the resident memory (RSS) of each process after the load.
The action server caches search results (ACTION_SEARCH_CACHE); every level after the first asks
questions the first already asked. Run with ACTION_SEARCH_CACHE=0 for figures without that cache.
Usage: .venv/bin/python bench/chat_latency.py [--url http://127.0.0.1:8000] [--messages 300]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._devset import DEV, load_cases
from channels.chat import Replies

TROUBLE = Replies().trouble


def _rss_mb(pid: int) -> float:
    """Resident memory of one process in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def _load(url: str, queries: list[str], concurrency: int, total: int) -> tuple[list[float], float, int]:
    lat: list[float] = []
    errors = 0
    it = iter(itertools.islice(itertools.cycle(queries), total))
    lock = asyncio.Lock()

    async def worker(n: int, client: httpx.AsyncClient) -> None:
        nonlocal errors
        while True:
            async with lock:
                q = next(it, None)
            if q is None:
                return
            t = time.perf_counter()
            r = await client.post(f"{url}/api/chat", json={"sender": f"bench{n}-{len(lat) % 50}", "text": q})
            lat.append((time.perf_counter() - t) * 1000)
            if r.status_code != 200 or r.json()["messages"][0]["text"] == TROUBLE:
                errors += 1

    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=concurrency + 4)) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(n, client) for n in range(concurrency)))
        wall = time.perf_counter() - started
    return lat, total / wall, errors


def main() -> None:
    """Run the load levels and print a markdown table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default=None)
    ap.add_argument("--messages", type=int, default=300)
    ap.add_argument("--levels", default="1,8,32")
    args = ap.parse_args()
    queries = [c.query for c in load_cases(DEV) if c.in_scope]
    stack = None
    url = args.url
    if url is None:
        from mpp.settings import get_settings
        from mpp.stack import Stack

        s = get_settings()
        stack = Stack(s)
        t = time.perf_counter()
        stack.start()
        url = f"http://{s.gateway_host}:{s.gateway_port}"
        up = time.perf_counter() - t
        first = time.perf_counter()
        asyncio.run(_load(url, queries[-1:], 1, 1))
        print(
            f"cold start: processes up {up:.1f} s, first answer {time.perf_counter() - t:.1f} s "
            f"(that answer alone {1000 * (time.perf_counter() - first):.0f} ms)"
        )
    try:
        asyncio.run(_load(url, queries[-21:-1], 4, 40))  # warm-up, on questions the levels do not ask
        print("| concurrency | messages | p50 ms | p95 ms | p99 ms | messages/s | errors |")
        print("|---|---|---|---|---|---|---|")
        for level in (int(x) for x in args.levels.split(",")):
            lat, rate, errors = asyncio.run(_load(url, queries, level, args.messages))
            print(
                f"| {level} | {len(lat)} | {statistics.median(lat):.0f} | {_pct(lat, 95):.0f} | {_pct(lat, 99):.0f} "
                f"| {rate:.1f} | {errors} |",
                flush=True,
            )
        if stack is not None:
            rss = {name: _rss_mb(p.pid) for name, p in stack.procs.items() if p.poll() is None}
            print("RSS after the load: " + ", ".join(f"{k} {v:.0f} MB" for k, v in rss.items()))
    finally:
        if stack is not None:
            stack.stop()


if __name__ == "__main__":
    main()
