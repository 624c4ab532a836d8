"""HTTP/1.1 over stdlib http.server: reads requests, writes `Reply`s (dropped or trickled too)."""

from __future__ import annotations

import secrets
import sys
import time
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from jobs.simulator.replies import Reply, Request, drs_error

App = Callable[[Request], Reply]


class HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], app: App, log_requests: bool = False) -> None:
        super().__init__(address, Handler)
        self.app = app
        self.log_requests = log_requests


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # one response = headers + body without a 40 ms ACK wait
    server_version = "api-gateway"
    sys_version = ""
    timeout = 60  # idle keep-alive connections
    server: HttpServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log_requests:
            super().log_message(format, *args)

    def _serve(self) -> None:
        request_id = secrets.token_hex(16)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._write(drs_error(400, "DRS.M00007", "Invalid Content-Length."), request_id)
            return
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        request = Request(self.command, path, query, self.headers, body, request_id)
        try:
            reply = self.server.app(request)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            reply = drs_error(500, "DRS.10000001", "Failed.")
        self._write(reply, request_id)

    def _write(self, reply: Reply, request_id: str) -> None:
        if reply.drop:
            self.close_connection = True
            return
        self.send_response(reply.status)
        if reply.content_type:
            self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("X-Request-Id", request_id)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        try:
            if reply.trickle_seconds > 0:
                self._trickle(reply)
                return
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _trickle(self, reply: Reply) -> None:
        """Send what end_headers() would have flushed, then the body, one byte at a time."""
        self._headers_buffer.append(b"\r\n")
        raw = b"".join(self._headers_buffer) + reply.body
        self._headers_buffer = []
        self.close_connection = True
        for index in range(len(raw)):
            self.wfile.write(raw[index : index + 1])
            time.sleep(reply.trickle_seconds)
