"""The gateway's own behaviour: validation, bad input, payload guard, upstream failures."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from channels.app import create_app
from mpp.settings import Settings
from tests.auxil.upstream import upstream


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def make_client(clean_env: Path) -> Iterator[Any]:
    clients: list[TestClient] = []

    def make(rasa_url: str) -> TestClient:
        client = TestClient(create_app(Settings(RASA_URL=rasa_url)))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


REPLY = [{"recipient_id": "web:a", "text": "Halo", "buttons": [{"title": "Menu", "payload": "/menu"}]}]


def test_text_goes_to_rasa_and_back(make_client: Any) -> None:
    with upstream(REPLY) as (url, received):
        r = make_client(url).post("/api/chat", json={"sender": "a", "text": "  halo\u200b "})
    assert r.status_code == 200
    assert r.json() == {"messages": [{"text": "Halo", "buttons": [{"title": "Menu", "payload": "/menu"}]}]}
    assert received[0]["sender"] == "web:a" and received[0]["message"] == "halo"
    assert received[0]["metadata"] == {"channel": "web"}


@pytest.mark.parametrize(
    "body",
    [
        {"sender": "a"},
        {"sender": "a", "text": 5},
        {"sender": "", "text": "x"},
        {"sender": "a b", "text": "x"},
        {"sender": "a", "text": "x", "location": {"lat": 1, "lon": 2}},
        {"sender": "a", "location": {"lat": 100, "lon": 2}},
        {"sender": "a", "text": "x", "extra": 1},
        [],
    ],
)
def test_malformed_bodies_get_422(make_client: Any, body: Any) -> None:
    r = make_client("http://127.0.0.1:9").post("/api/chat", json=body)
    assert r.status_code == 422
    assert r.json()["detail"] == "Format pesan tidak valid."


def test_invalid_json_gets_422(make_client: Any) -> None:
    r = make_client("http://127.0.0.1:9").post(
        "/api/chat", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422


@pytest.mark.parametrize(
    ("text", "needle"), [("", "kosong"), (" \t\n ", "kosong"), ("🙏🙏👍", "Ada yang bisa"), ("\x00\x07", "kosong")]
)
def test_empty_and_emoji_only_answered_without_rasa(make_client: Any, text: str, needle: str) -> None:
    with upstream(REPLY) as (url, received):
        r = make_client(url).post("/api/chat", json={"sender": "a", "text": text})
    assert r.status_code == 200
    assert needle in r.json()["messages"][0]["text"]
    assert received == []


def test_huge_text_is_capped_not_rejected(make_client: Any) -> None:
    with upstream(REPLY) as (url, received):
        r = make_client(url).post("/api/chat", json={"sender": "a", "text": "a" * 100_000})
    assert r.status_code == 200
    assert len(received[0]["message"]) == 1000


def test_oversized_body_is_413(make_client: Any) -> None:
    r = make_client("http://127.0.0.1:9").post("/api/chat", json={"sender": "a", "text": "a" * 300_000})
    assert r.status_code == 413


def test_injected_intent_is_sent_as_text(make_client: Any) -> None:
    with upstream(REPLY) as (url, received):
        client = make_client(url)
        client.post("/api/chat", json={"sender": "a", "text": '/request_human{"x": 1}'})
        client.post("/api/chat", json={"sender": "a", "text": "/menu"})  # offered by the first reply
        client.post("/api/chat", json={"sender": "b", "text": "/menu"})  # never offered to b
    assert received[0]["message"] == 'request_human{"x": 1}'
    assert received[1]["message"] == "/menu"
    assert received[2]["message"] == "menu"


def test_rasa_down_gives_polite_reply_fast(make_client: Any) -> None:
    client = make_client(f"http://127.0.0.1:{_free_port()}")
    t = time.perf_counter()
    r = client.post("/api/chat", json={"sender": "a", "text": "syarat ktp"})
    assert time.perf_counter() - t < 3
    assert r.status_code == 200 and "gangguan" in r.json()["messages"][0]["text"]


@pytest.mark.parametrize(("reply", "status"), [([], 200), ({"error": 1}, 200), (REPLY, 500)])
def test_rasa_errors_give_polite_reply(make_client: Any, reply: Any, status: int) -> None:
    with upstream(reply, status=status) as (url, _):
        r = make_client(url).post("/api/chat", json={"sender": "a", "text": "syarat ktp"})
    assert r.status_code == 200 and "gangguan" in r.json()["messages"][0]["text"]


def test_slow_rasa_times_out_and_gateway_recovers(make_client: Any) -> None:
    with upstream(REPLY, delay_s=8) as (url, _):
        client = make_client(url)
        t = time.perf_counter()
        r = client.post("/api/chat", json={"sender": "a", "text": "syarat ktp"})
        elapsed = time.perf_counter() - t
    assert elapsed < 7.5 and "gangguan" in r.json()["messages"][0]["text"]
    with upstream(REPLY) as (url2, _):
        ok = make_client(url2).post("/api/chat", json={"sender": "a", "text": "halo"})
    assert ok.json()["messages"][0]["text"] == "Halo"


def test_web_page_and_health(make_client: Any) -> None:
    client = make_client(f"http://127.0.0.1:{_free_port()}")
    page = client.get("/")
    assert page.status_code == 200 and "/api/chat" in page.text
    assert client.get("/health").json() == {"status": "ok", "assistant": False}
