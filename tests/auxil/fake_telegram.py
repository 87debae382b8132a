"""A fake Bot API server on 127.0.0.1: records calls, can play a blocked chat or flood control."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.auxil.fake_http import FakeHttpServer

BOT_USER = {"id": 7012345678, "is_bot": True, "first_name": "Layanan Warga", "username": "layanan_warga_bot"}


class FakeTelegram:
    """Answers `/bot<token>/<method>` like the Bot API does."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.blocked_chats: set[int] = set()
        self.retry_after: list[int] = []  # the next sendMessage calls answer 429 with these delays
        self.down = False  # answer 500 to everything
        self.reject_html = False  # answer 400 "can't parse entities" to HTML messages
        self.messages: list[dict[str, Any]] = []
        self._message_id = 1000
        self.server = FakeHttpServer(self._handle)

    @property
    def url(self) -> str:
        """What TELEGRAM_API_BASE_URL points at."""
        return self.server.url

    def _handle(self, _method: str, path: str, _headers: dict[str, str], body: dict[str, Any]) -> tuple[int, Any]:
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        method = path[len(prefix) :]
        with self.server.lock:
            self.calls.append((method, body))
            if self.down:
                return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
            if method == "getMe":
                return 200, {"ok": True, "result": BOT_USER}
            if method == "sendMessage":
                return self._send_message(body)
        return 200, {"ok": True, "result": True}

    def _send_message(self, body: dict[str, Any]) -> tuple[int, Any]:
        chat_id = int(body["chat_id"])
        if chat_id in self.blocked_chats:
            return 403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
        if self.retry_after:
            delay = self.retry_after.pop(0)
            return 429, {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {delay}",
                "parameters": {"retry_after": delay},
            }
        if self.reject_html and body.get("parse_mode") == "HTML":
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: can't parse entities"}
        self._message_id += 1
        message = {
            "message_id": self._message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT_USER,
            "text": body.get("text", ""),
        }
        self.messages.append(dict(body))
        return 200, {"ok": True, "result": message}

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Messages delivered (reply_markup decoded), optionally to one chat."""
        with self.server.lock:
            bodies = [dict(b) for b in self.messages if chat_id is None or int(b["chat_id"]) == chat_id]
        for item in bodies:
            if isinstance(item.get("reply_markup"), str):
                item["reply_markup"] = json.loads(item["reply_markup"])
        return bodies

    def methods(self) -> list[str]:
        """Names of the methods called, in order."""
        with self.server.lock:
            return [m for m, _ in self.calls]


@contextmanager
def fake_telegram(token: str) -> Iterator[FakeTelegram]:
    """A running fake Bot API."""
    fake = FakeTelegram(token)
    fake.server.start()
    try:
        yield fake
    finally:
        fake.server.stop()
