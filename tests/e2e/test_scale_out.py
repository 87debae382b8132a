"""Two Rasa processes against one Redis: a resident's conversation continues on either process."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mpp.rasa import REDIS_KEY_PREFIX, train
from mpp.settings import PROJECT_ROOT, Settings
from mpp.stack import Stack

pytestmark = [pytest.mark.slow, pytest.mark.needs_redis]


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ports(n: int) -> int:
    """First of n consecutive free ports (Stack puts Rasa processes on consecutive ports)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            first = int(s.getsockname()[1])
        if first + n < 65535 and all(_free(first + i) for i in range(n)):
            return first
    raise RuntimeError("no free port range")


@pytest.fixture(scope="module")
def two_rasas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[str], str]]:
    """URLs of two Rasa processes sharing Redis tracker and lock stores, and the Redis URL."""
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("REDIS_URL not set")
    db = tmp_path_factory.mktemp("scale") / "scale.db"
    settings = Settings(
        MPP_DATA_DIR=PROJECT_ROOT / "var",  # the search index `make index` built
        DATABASE_URL=f"sqlite:///{db}",
        REDIS_URL=redis_url,
        RASA_PROCESSES=2,
        ACTION_SERVER_PORT=_ports(1),
    )
    train(settings)
    stack = Stack(settings, rasa_port=_ports(2))
    with stack.running(gateway=False):
        yield stack.rasa_urls, redis_url


def _say(url: str, sender: str, text: str) -> str:
    r = httpx.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=30)
    assert r.status_code == 200, r.text
    return "\n".join(str(m.get("text", "")) for m in r.json())


def _events(url: str, sender: str) -> list[dict[str, Any]]:
    r = httpx.get(f"{url}/conversations/{sender}/tracker", timeout=30)
    assert r.status_code == 200, r.text
    return list(r.json()["events"])


def test_follow_up_on_the_other_process_uses_the_context(two_rasas: tuple[list[str], str]) -> None:
    (a, b), redis_url = two_rasas
    sender = f"scale-{uuid.uuid4().hex[:12]}"
    first = _say(a, sender, "syarat bikin ktp baru gmn")
    assert "KTP-el baru" in first and "Persyaratan" in first
    fee = _say(b, sender, "biayanya berapa?")  # process B never saw turn 1
    assert "KTP-el baru" in fee and "Biaya" in fee
    lost = _say(a, sender, "kalau yang hilang?")  # and back on A, after B's turn
    assert "hilang" in lost.lower() and "Persyaratan" in lost
    users = [e["text"] for e in _events(b, sender) if e["event"] == "user"]
    assert users == ["syarat bikin ktp baru gmn", "biayanya berapa?", "kalau yang hilang?"]

    import redis

    keys = redis.Redis.from_url(redis_url).keys(f"{REDIS_KEY_PREFIX}:tracker:{sender}")
    assert keys  # the tracker lives in Redis, not in either process


def test_other_residents_are_not_mixed_in(two_rasas: tuple[list[str], str]) -> None:
    (a, b), _redis = two_rasas
    one, two = f"scale-{uuid.uuid4().hex[:12]}", f"scale-{uuid.uuid4().hex[:12]}"
    assert "KTP" in _say(a, one, "syarat bikin ktp baru gmn")
    assert "akta" in _say(b, two, "syarat akta kelahiran anak").lower()
    fee = _say(b, one, "biayanya berapa?")
    assert "KTP" in fee and "akta" not in fee.lower()
