"""A tiny HTTP server on 127.0.0.1 that plays a misbehaving Rasa (slow, 500, empty list)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@contextmanager
def upstream(
    reply: Any = None, *, status: int = 200, delay_s: float = 0.0
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Serve `reply` as JSON to every POST; yields (base_url, received bodies)."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            received.append(json.loads(body or b"{}"))
            time.sleep(delay_s)
            data = json.dumps(reply if reply is not None else []).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", received
    finally:
        server.shutdown()
        server.server_close()
