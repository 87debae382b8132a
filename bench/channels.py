"""Channel layer speed: webhook acknowledgement latency and end-to-end messages/s per adapter.

Runs the real gateway (uvicorn, one process) against local fakes of the Bot API, Twilio's REST API
and Rasa (which answers at once), so the figures are the channel layer's own: secret/signature
check, dedupe, inbox write, per-resident queues, Rasa round trip to the fake, reply through
python-telegram-bot / the twilio SDK. Not measured: Rasa itself (see chat_latency.py).
`--limits platform` keeps the Bot API pacing (1 msg/s per chat, 30/s in all) and the WhatsApp pacing;
`--limits lifted` removes it to show what the layer itself can carry.
Usage: .venv/bin/python bench/channels.py [--messages 1000] [--senders 200] [--limits lifted|platform]
       [--database-url URL] [--redis-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = "7012345678:AAF-bench-token"
SECRET = "bench-secret-0123456789"
TW_SID = "AC" + "0" * 32
TW_TOKEN = "0123456789abcdef0123456789abcdef"
PUBLIC = "https://bot.example.id"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def serve(port: int, lifted: bool) -> None:
    """Child process: the gateway, with the outbound pacing removed when `lifted`."""
    import uvicorn

    from channels._ratelimit import Pacer
    from channels._store import FloodLimit
    from channels.app import create_app

    app = create_app()
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[None]:
        async with inner(a):
            gw = a.state.channels
            if lifted:
                for adapter in (gw.telegram, gw.whatsapp):
                    adapter.pacer = Pacer(1e6, 1e6, 1e6, 1e6)
                gw.dispatcher.flood = FloodLimit(burst=10**9, window_s=60.0)
            yield

    app.router.lifespan_context = lifespan
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _telegram_update(uid: int, chat: int) -> tuple[str, bytes, dict[str, str]]:
    update = {
        "update_id": uid,
        "message": {
            "message_id": uid,
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private", "first_name": "Warga"},
            "from": {"id": chat, "is_bot": False, "first_name": "Warga"},
            "text": "syarat bikin KTP",
        },
    }
    headers = {"content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET}
    return "/webhooks/telegram", json.dumps(update).encode(), headers


def _twilio_message(uid: int, chat: int) -> tuple[str, bytes, dict[str, str]]:
    from twilio.request_validator import RequestValidator

    sid = f"SM{uid:032x}"
    phone = f"+62811{chat:07d}"
    params = {
        "MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "AccountSid": TW_SID, "MessageType": "text",
        "From": f"whatsapp:{phone}", "To": "whatsapp:+6285700001111", "Body": "syarat bikin KTP", "NumMedia": "0",
        "WaId": phone[1:], "ProfileName": "Warga", "SmsStatus": "received", "NumSegments": "1", "ApiVersion": "2010-04-01",
    }  # fmt: skip
    signature = RequestValidator(TW_TOKEN).compute_signature(f"{PUBLIC}/webhooks/twilio/whatsapp", params)
    headers = {"content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature}
    return "/webhooks/twilio/whatsapp", urlencode(params).encode(), headers


async def _post_all(
    base: str, requests: list[tuple[str, bytes, dict[str, str]]], concurrency: int
) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    queue = list(reversed(requests))

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while queue:
            path, body, headers = queue.pop()
            t = time.perf_counter()
            r = await client.post(base + path, content=body, headers=headers)
            latencies.append((time.perf_counter() - t) * 1000)
            errors += r.status_code != 200

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return latencies, errors


def _run_channel(
    name: str,
    base: str,
    make: Callable[[int, int], tuple[str, bytes, dict[str, str]]],
    delivered: Callable[[], int],
    args: argparse.Namespace,
    start_uid: int,
) -> dict[str, Any]:
    # Acknowledgement latency, one request at a time (each a new update from one of `senders` residents).
    ack = [make(start_uid + i, 10_000 + i % args.senders) for i in range(args.ack_requests)]
    seq, seq_err = asyncio.run(_post_all(base, ack, 1))
    _wait(lambda: delivered() >= args.ack_requests, 120)
    # End to end: a burst of messages from many residents, until every reply reached the fake platform.
    before = delivered()
    burst = [make(start_uid + 100_000 + i, 20_000 + i % args.senders) for i in range(args.messages)]
    t0 = time.perf_counter()
    conc, conc_err = asyncio.run(_post_all(base, burst, args.concurrency))
    posted = time.perf_counter() - t0
    done = _wait(lambda: delivered() - before >= args.messages, args.timeout)
    elapsed = time.perf_counter() - t0
    return {
        "channel": name,
        "ack_ms_sequential": {"p50": round(_pct(seq, 50), 2), "p95": round(_pct(seq, 95), 2), "mean": round(statistics.mean(seq), 2)},
        "ack_ms_concurrent": {"concurrency": args.concurrency, "p50": round(_pct(conc, 50), 2), "p95": round(_pct(conc, 95), 2)},
        "webhook_errors": seq_err + conc_err,
        "e2e_messages": args.messages,
        "e2e_senders": args.senders,
        "e2e_all_delivered": done,
        "e2e_seconds": round(elapsed, 2),
        "e2e_messages_per_s": round((delivered() - before) / elapsed, 1),
        "webhooks_per_s_while_posting": round(args.messages / posted, 1),
    }  # fmt: skip


def _wait(pred: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


def main() -> None:
    """Run the benchmark and print one JSON object per channel."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--senders", type=int, default=200)
    ap.add_argument("--ack-requests", type=int, default=300)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--limits", choices=["lifted", "platform"], default="lifted")
    ap.add_argument("--database-url", default="")
    ap.add_argument("--redis-url", default="")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.limits == "lifted")
        return

    from tests.auxil.fake_rasa import fake_rasa
    from tests.auxil.fake_telegram import fake_telegram
    from tests.auxil.fake_twilio import fake_twilio

    port = _free_port()
    with (
        fake_telegram(TOKEN) as tg, fake_twilio(TW_SID, TW_TOKEN) as tw, fake_rasa() as rasa,
        tempfile.TemporaryDirectory() as tmp,
    ):  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TWILIO_", "MPP_", "REDIS"))}
        env.update({
            "MPP_DATA_DIR": tmp, "DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url, "LOG_LEVEL": "WARNING",
            "REDIS_PREFIX": f"mpp-bench-{os.getpid()}:", "RASA_URL": rasa.url, "PUBLIC_BASE_URL": PUBLIC,
            "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_API_BASE_URL": tg.url,
            "TWILIO_ACCOUNT_SID": TW_SID, "TWILIO_AUTH_TOKEN": TW_TOKEN, "TWILIO_WHATSAPP_FROM": "+6285700001111",
            "TWILIO_API_BASE_URL": tw.url,
        })  # fmt: skip
        if not args.redis_url:
            env.pop("REDIS_URL")
        cmd = [sys.executable, __file__, "--serve", str(port), "--limits", args.limits]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            if not _wait(lambda: _up(base), 60):
                raise SystemExit("the gateway did not start")
            for name, make, delivered, uid in (
                ("telegram", _telegram_update, lambda: len(tg.messages), 1),
                ("whatsapp", _twilio_message, lambda: len(tw.created), 5_000_000),
            ):
                result = _run_channel(name, base, make, delivered, args, uid)
                result.update(limits=args.limits, database="postgresql" if "postgres" in args.database_url else "sqlite",
                              redis=bool(args.redis_url), rasa_calls=len(rasa.received))  # fmt: skip
                print(json.dumps(result), flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


if __name__ == "__main__":
    main()
