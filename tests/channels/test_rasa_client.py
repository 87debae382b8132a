"""RasaClient over several Rasa processes: one resident stays on one process; a dead one is skipped."""

from __future__ import annotations

import asyncio
import socket

from channels.rasa_client import RasaClient
from tests.auxil.upstream import upstream


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"  # closed again when the block ends


def test_each_resident_sticks_to_one_process() -> None:
    with upstream([{"text": "a"}]) as (url_a, got_a), upstream([{"text": "b"}]) as (url_b, got_b):
        client = RasaClient(f"{url_a}, {url_b}")

        async def talk() -> list[str]:
            answers = []
            for sender in [f"web:{n}" for n in range(40)] * 3:
                answers.append((await client.send(sender, "halo"))[0]["text"])
            await client.aclose()
            return answers

        answers = asyncio.run(talk())
    assert client.backends == 2
    assert got_a and got_b  # both processes get residents
    by_sender: dict[str, set[str]] = {}
    for body in got_a:
        by_sender.setdefault(body["sender"], set()).add("a")
    for body in got_b:
        by_sender.setdefault(body["sender"], set()).add("b")
    assert all(len(where) == 1 for where in by_sender.values())  # never split across processes
    assert len(answers) == 120


def test_unreachable_process_is_skipped() -> None:
    with upstream([{"text": "hidup"}]) as (url, got):
        client = RasaClient(f"{_closed_port_url()},{url}")

        async def talk() -> list[str]:
            out = [(await client.send(f"web:{n}", "halo"))[0]["text"] for n in range(10)]
            await client.aclose()
            return out

        assert asyncio.run(talk()) == ["hidup"] * 10
    assert len(got) == 10


def test_single_url_still_works() -> None:
    with upstream([{"text": "ok"}]) as (url, _got):
        client = RasaClient(url)

        async def talk() -> bool:
            ready = await client.ready()
            await client.aclose()
            return ready

        assert asyncio.run(talk())
