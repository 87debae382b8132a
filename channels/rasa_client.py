"""Talking to the Rasa server over its REST channel (loopback only), with a hard time limit."""

from __future__ import annotations

import logging
from typing import Any

import httpx

__all__ = ["RasaClient", "RasaUnavailableError"]

log = logging.getLogger(__name__)


class RasaUnavailableError(RuntimeError):
    """Rasa (or the action server behind it) did not answer in time or answered with an error."""


class RasaClient:
    """An async client for `POST /webhooks/rest/webhook`."""

    def __init__(self, base_url: str, timeout_s: float = 6.0) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout_s, connect=1.0),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )

    async def send(self, sender: str, text: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Send one message; return Rasa's list of bot messages."""
        try:
            resp = await self._client.post(
                "/webhooks/rest/webhook", json={"sender": sender, "message": text, "metadata": metadata or {}}
            )
        except httpx.HTTPError as exc:
            raise RasaUnavailableError(type(exc).__name__) from exc
        if resp.status_code != 200:
            raise RasaUnavailableError(f"status {resp.status_code}")
        data = resp.json()
        if not isinstance(data, list):
            raise RasaUnavailableError("unexpected body")
        return [m for m in data if isinstance(m, dict)]

    async def ready(self) -> bool:
        """True when Rasa answers `/` (it does once the model is loaded)."""
        try:
            resp = await self._client.get("/", timeout=1.0)
        except httpx.HTTPError:
            return False
        return resp.status_code == 200

    async def aclose(self) -> None:
        """Close connections."""
        await self._client.aclose()
