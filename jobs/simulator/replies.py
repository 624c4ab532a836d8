"""The request and reply shapes every part of the simulator passes around, and error bodies."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import Message
from typing import Any


@dataclass
class Request:
    method: str
    path: str  # raw, as on the request line, without the query
    query: str  # raw
    headers: Message
    body: bytes
    request_id: str


@dataclass
class Reply:
    """One HTTP reply, written verbatim by the handler.

    `drop` closes the connection without answering; `trickle_seconds` sends the whole reply
    (status line and headers included) one byte at a time with that pause between bytes.
    """

    status: int
    body: bytes = b""
    content_type: str | None = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    trickle_seconds: float = 0.0


def dump_json(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, dump_json(payload), headers=headers or {})


def empty_reply(status: int = 200) -> Reply:
    return Reply(status, b"", content_type=None)


def gateway_error(status: int, code: str, message: str, request_id: str) -> Reply:
    return json_reply(status, {"error_code": code, "error_msg": message, "request_id": request_id})


def drs_error(status: int, code: str, message: str) -> Reply:
    return json_reply(status, {"error_code": code, "error_msg": message})
