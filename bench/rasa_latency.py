"""Rasa's own cost per turn, without the action server or the search: models compared in one go.

Starts one Rasa server per model given (in turn), measures the time until `/status` answers and
its RSS, then sends small talk that Rasa answers with a response template (NLU, policies, tracker
store; no custom action) through the REST channel at concurrency 1 and 8. Rounds alternate the
models so that load from other jobs on the machine hits each alike; medians over rounds.
Usage: .venv/bin/python bench/rasa_latency.py MODEL.tar.gz [MODEL2.tar.gz ...] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.chat_latency import _pct, _rss_mb
from mpp.rasa import MODEL_PATH, rasa_env, serve_command
from mpp.settings import get_settings
from mpp.stack import wait_http

SMALL_TALK = [
    "halo min", "selamat pagi kak", "makasih ya", "terima kasih banyak", "menu", "bisa bantu apa aja",
    "ini bot ya?", "dadah", "sampai jumpa", "assalamualaikum", "oke siap", "tidak jadi", "tabe pian",
]  # fmt: skip


async def _load(url: str, concurrency: int, total: int, tag: str) -> tuple[list[float], float]:
    lat: list[float] = []
    sent = 0

    async def worker(n: int, client: httpx.AsyncClient) -> None:
        nonlocal sent
        while sent < total:
            sent += 1
            body = {"sender": f"{tag}-{n}-{sent % 40}", "message": SMALL_TALK[sent % len(SMALL_TALK)]}
            t = time.perf_counter()
            r = await client.post(f"{url}/webhooks/rest/webhook", json=body)
            lat.append((time.perf_counter() - t) * 1000)
            r.raise_for_status()

    async with httpx.AsyncClient(timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(n, client) for n in range(concurrency)))
        return lat, total / (time.perf_counter() - started)


def _one(model: Path, port: int, messages: int, tag: str) -> dict[str, float]:
    cmd = serve_command(get_settings(), port)
    cmd[cmd.index("--model") + 1] = str(model)
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=rasa_env(get_settings()), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        if not wait_http(f"{url}/status", 300, proc):
            raise RuntimeError(f"Rasa did not start with {model}")
        out = {"status_s": time.perf_counter() - t}
        asyncio.run(_load(url, 2, 20, f"{tag}w"))
        for level in (1, 8):
            lat, rate = asyncio.run(_load(url, level, messages, f"{tag}c{level}"))
            out |= {f"c{level}_p50": statistics.median(lat), f"c{level}_p95": _pct(lat, 95), f"c{level}_rate": rate}
        out["rss_mb"] = _rss_mb(proc.pid)
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    """Alternate the models over the rounds and print medians."""
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="*", type=Path, default=[MODEL_PATH])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--messages", type=int, default=200)
    ap.add_argument("--port", type=int, default=5191)
    args = ap.parse_args()
    runs: dict[Path, list[dict[str, float]]] = {m: [] for m in args.models}
    for r in range(args.rounds):
        for i, model in enumerate(args.models):
            runs[model].append(_one(model, args.port, args.messages, f"r{r}m{i}"))
            print(f"round {r + 1} {model.name}: " + ", ".join(f"{k} {v:.1f}" for k, v in runs[model][-1].items()))
    keys = ["status_s", "rss_mb", "c1_p50", "c1_p95", "c1_rate", "c8_p50", "c8_p95", "c8_rate"]
    print("| model | MB | " + " | ".join(keys) + " |")
    print("|---|---|" + "---|" * len(keys))
    for model, rows in runs.items():
        size = model.stat().st_size / 1e6
        print(
            f"| {model.name} | {size:.1f} | "
            + " | ".join(f"{statistics.median(x[k] for x in rows):.1f}" for k in keys)
            + " |"
        )


if __name__ == "__main__":
    main()
