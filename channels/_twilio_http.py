"""An async httpx client for the twilio SDK that can point the SDK at another host (a local fake in tests)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

import httpx
from twilio.http import AsyncHttpClient
from twilio.http.response import Response

__all__ = ["HttpxTwilioClient"]


class HttpxTwilioClient(AsyncHttpClient):
    """Sends the SDK's requests with httpx; with `base_url`, every Twilio host is replaced by it."""

    def __init__(self, base_url: str | None = None, timeout_s: float = 10.0) -> None:
        super().__init__(logging.getLogger("twilio.http"), True, timeout_s)
        self._base = urlsplit(base_url) if base_url else None
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(timeout_s, connect=3.0))

    def _rewrite(self, url: str) -> str:
        if self._base is None:
            return url
        parts = urlsplit(url)
        path = self._base.path.rstrip("/") + parts.path
        return urlunsplit((self._base.scheme, self._base.netloc, path, parts.query, parts.fragment))

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        """Make one request (the SDK's own logging of bodies is skipped: they hold phone numbers)."""
        resp = await self._client.request(
            method.upper(),
            self._rewrite(url),
            params=params,  # type: ignore[arg-type]
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout or self.timeout,
            follow_redirects=allow_redirects,
        )
        return Response(resp.status_code, resp.text, resp.headers)

    async def close(self) -> None:
        """Close connections."""
        await self._client.aclose()
