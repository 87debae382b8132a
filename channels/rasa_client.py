"""Talking to the Rasa server(s) over the REST channel (loopback only), with a hard time limit."""

from __future__ import annotations

import logging
import zlib
from typing import Any
from urllib.parse import quote

import httpx

__all__ = ["RasaClient", "RasaUnavailableError"]

log = logging.getLogger(__name__)


class RasaUnavailableError(RuntimeError):
    """Rasa (or the action server behind it) did not answer in time or answered with an error."""


class RasaClient:
    """An async client for `POST /webhooks/rest/webhook` on one or several Rasa processes.

    `base_url` may list several comma-separated Rasa URLs. A resident always goes to the same
    process (hash of the sender id), so with the default in-memory tracker and lock stores every
    turn finds its context and one resident's turns never run at once; with Redis stores any process
    could answer, and a process that refuses connections is skipped for the next one.
    """

    def __init__(self, base_url: str, timeout_s: float = 6.0) -> None:
        urls = [u.strip().rstrip("/") for u in base_url.split(",") if u.strip()]
        if not urls:
            raise ValueError("no Rasa URL given")
        # One pooled client per process: connections are reused across turns (keep-alive).
        self._clients = [
            httpx.AsyncClient(
                base_url=url,
                timeout=httpx.Timeout(timeout_s, connect=1.0),
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            )
            for url in urls
        ]

    @property
    def backends(self) -> int:
        """How many Rasa processes this client spreads residents over."""
        return len(self._clients)

    def _pick(self, sender: str) -> int:
        """Index of the process that owns this resident (stable across gateway restarts)."""
        return zlib.crc32(sender.encode("utf-8")) % len(self._clients)

    async def send(self, sender: str, text: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Send one message; return Rasa's list of bot messages."""
        body = {"sender": sender, "message": text, "metadata": metadata or {}}
        first = self._pick(sender)
        resp: httpx.Response | None = None
        for step in range(len(self._clients)):
            client = self._clients[(first + step) % len(self._clients)]
            try:
                resp = await client.post("/webhooks/rest/webhook", json=body)
                break
            except httpx.ConnectError as exc:
                # Refused before anything was sent: safe to hand the turn to the next process.
                log.warning("rasa process unreachable", extra={"rasa": str(client.base_url)})
                if step == len(self._clients) - 1:
                    raise RasaUnavailableError(type(exc).__name__) from exc
            except httpx.HTTPError as exc:
                raise RasaUnavailableError(type(exc).__name__) from exc
        if resp is None or resp.status_code != 200:
            raise RasaUnavailableError(f"status {resp.status_code if resp is not None else 'none'}")
        data = resp.json()
        if not isinstance(data, list):
            raise RasaUnavailableError("unexpected body")
        return [m for m in data if isinstance(m, dict)]

    async def ready(self) -> bool:
        """True when every Rasa process answers `/` (each does once its model is loaded)."""
        for client in self._clients:
            try:
                resp = await client.get("/", timeout=1.0)
            except httpx.HTTPError:
                return False
            if resp.status_code != 200:
                return False
        return True

    async def trigger_intent(
        self, sender: str, intent: str, entities: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Inject an intent into a conversation (Rasa HTTP API); return the bot messages it caused."""
        client = self._clients[self._pick(sender)]
        try:
            resp = await client.post(
                # Sanic does not unquote path parameters: keep the characters sender ids use ("tg:1", "wa:+62").
                f"/conversations/{quote(sender, safe=':@+')}/trigger_intent",
                json={"name": intent, "entities": entities or {}},
            )
        except httpx.HTTPError as exc:
            raise RasaUnavailableError(type(exc).__name__) from exc
        if resp.status_code != 200:
            raise RasaUnavailableError(f"status {resp.status_code}")
        messages = resp.json().get("messages")
        return [m for m in messages or [] if isinstance(m, dict)]

    async def aclose(self) -> None:
        """Close connections."""
        for client in self._clients:
            await client.aclose()
