"""The whole assistant (action server, Rasa, gateway) started once for the end-to-end tests."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import httpx
import pytest

from mpp.rasa import train
from mpp.settings import PROJECT_ROOT, Settings
from mpp.stack import Stack


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def stack_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """URLs of a running gateway in front of a real Rasa and action server."""
    db = tmp_path_factory.mktemp("e2e") / "e2e.db"
    settings = Settings(
        MPP_DATA_DIR=PROJECT_ROOT / "var",  # the search index `make index` built
        DATABASE_URL=f"sqlite:///{db}",
        GATEWAY_PORT=_port(),
        ACTION_SERVER_PORT=_port(),
    )
    train(settings)
    stack = Stack(settings, rasa_port=_port())
    with stack.running():
        yield {
            "gateway": f"http://127.0.0.1:{settings.gateway_port}",
            "rasa": f"http://127.0.0.1:{stack.rasa_port}",
            "database": settings.sqlalchemy_url,
        }


@pytest.fixture(scope="session")
def assistant(stack_urls: dict[str, str]) -> str:
    """Base URL of the running gateway."""
    return stack_urls["gateway"]


@pytest.fixture
def chat(assistant: str, request: pytest.FixtureRequest) -> Iterator[object]:
    """send(text) -> list of reply messages, in a conversation of its own."""
    sender = re.sub(r"[^\w]", "_", request.node.name)[:60] + f"_{id(request)}"
    client = httpx.Client(base_url=assistant, timeout=30)

    def send(text: str | None = None, location: dict[str, float] | None = None) -> list[dict[str, object]]:
        body: dict[str, object] = {"sender": sender}
        if location is not None:
            body["location"] = location
        else:
            body["text"] = text
        r = client.post("/api/chat", json=body)
        assert r.status_code == 200, r.text
        return list(r.json()["messages"])

    yield send
    client.close()
