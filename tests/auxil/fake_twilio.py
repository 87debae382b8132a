"""A fake Twilio REST API on 127.0.0.1: records Messages API calls, can answer 429 or WhatsApp errors."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.auxil.fake_http import FakeHttpServer


class FakeTwilio:
    """Answers `POST /2010-04-01/Accounts/<sid>/Messages.json` like Twilio does."""

    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.created: list[dict[str, Any]] = []
        self.attempts = 0
        self.too_many: int = 0  # the next N calls answer 429
        self.down = False  # answer 500 to every Messages API call
        self.error_for: dict[str, int] = {}  # To address -> Twilio error code (answered 400)
        self.server = FakeHttpServer(self._handle)

    @property
    def url(self) -> str:
        """What TWILIO_API_BASE_URL points at."""
        return self.server.url

    def _handle(self, method: str, path: str, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, Any]:
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        auth = {k.lower(): v for k, v in headers.items()}.get("authorization")
        if auth != expected:
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        if method != "POST" or path != f"/2010-04-01/Accounts/{self.account_sid}/Messages.json":
            return 404, {"code": 20404, "message": "Not found", "status": 404}
        with self.server.lock:
            self.attempts += 1
            if self.down:
                return 500, {"code": 20500, "message": "Internal Server Error", "status": 500}
            if self.too_many > 0:
                self.too_many -= 1
                return 429, {"code": 20429, "message": "Too Many Requests", "status": 429}
            code = self.error_for.get(body.get("To", ""))
            if code is not None:
                return 400, {"code": code, "message": f"error {code}", "status": 400}
            sid = "SM" + uuid.uuid4().hex
            msg = {
                "sid": sid,
                "account_sid": self.account_sid,
                "to": body.get("To"),
                "from": body.get("From"),
                "body": body.get("Body", ""),
                "status": "queued",
                "num_segments": "1",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
            }
            self.created.append(dict(body))
        return 201, msg

    def bodies(self, to: str | None = None) -> list[str]:
        """Body of each created message, optionally to one address."""
        with self.server.lock:
            return [c.get("Body", "") for c in self.created if to is None or c.get("To") == to]


@contextmanager
def fake_twilio(account_sid: str, auth_token: str) -> Iterator[FakeTwilio]:
    """A running fake Twilio API."""
    fake = FakeTwilio(account_sid, auth_token)
    fake.server.start()
    try:
        yield fake
    finally:
        fake.server.stop()
