"""A tiny HTTP server for faults the shared simulator lacks: each test says how to answer.

    with FakeUpstream(lambda h: send_json(h, 200, {"count": 0, "jobs": []})) as upstream:
        client = fake_client(upstream.url)

`respond` gets the http.server handler: it may send a whole answer, or write raw bytes to
`handler.wfile` as slowly as it likes (see `trickle`).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from jobs.drs import (
    AccessKeyCredentials,
    ClientSettings,
    DrsClient,
    PasswordCredentials,
    TokenCache,
)
from tests.support import serving

PROJECT_ID = "054ba152d480d55b2f5dc0069e7ddef0"
Respond = Callable[[BaseHTTPRequestHandler], None]


class FakeUpstream:
    def __init__(self, respond: Respond) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self._serve()

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                upstream.requests.append((self.command, parts.path, dict(parse_qsl(parts.query))))
                try:
                    respond(self)
                except OSError:  # the client gave up: nothing left to say
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._handler = Handler
        self._serving = contextlib.ExitStack()
        self.url = ""

    def __enter__(self) -> FakeUpstream:
        self.url = self._serving.enter_context(serving(self._handler)).url
        return self

    def __exit__(self, *exc: object) -> None:
        self._serving.close()

    @property
    def calls(self) -> int:
        return len(self.requests)


def send_json(handler: BaseHTTPRequestHandler, status: int, payload: Any, **headers: str) -> None:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("X-Request-Id", "fake-request-id")
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)


def trickle(handler: BaseHTTPRequestHandler, data: bytes, every: float) -> None:
    """Write `data` one byte at a time, `every` seconds apart, for as long as the client reads."""
    for byte in data:
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
        time.sleep(every)


def fake_client(
    url: str, settings: ClientSettings | None = None, *, iam_url: str = ""
) -> DrsClient:
    """A client of the fake DRS at `url`: signed with an access key, or with `iam_url`, with
    IAM password tokens from there (a fresh token cache)."""
    settings = settings or ClientSettings(deadline=4.0, backoff=0.05, throttle_wait=0.05)
    if iam_url:
        return DrsClient.with_password(
            project_id=PROJECT_ID,
            drs_endpoint=url,
            iam_endpoint=iam_url,
            credentials=PasswordCredentials("domain", "user", "password"),
            settings=settings,
            cache=TokenCache(),
        )
    return DrsClient.with_access_key(
        project_id=PROJECT_ID,
        drs_endpoint=url,
        credentials=AccessKeyCredentials("FAKEACCESSKEY", "fake-secret-key"),
        settings=settings,
    )
