"""Every failure of a DRS call is a DrsError; views choose pages by subclass."""

from __future__ import annotations

import json
import re

MAX_TEXT = 300


class DrsError(Exception):
    """A DRS or IAM call failed. `status` is the HTTP status (0 when nothing came back)."""

    def __init__(
        self,
        message: str = "",
        *,
        status: int = 0,
        error_code: str = "",
        error_msg: str = "",
        request_id: str = "",
    ) -> None:
        self.status = status
        self.error_code = error_code
        self.error_msg = error_msg or message
        self.request_id = request_id
        super().__init__(message or error_msg or type(self).__name__)

    def __str__(self) -> str:
        parts = [super().__str__()]
        if self.error_code:
            parts.append(f"[{self.error_code}]")
        if self.status:
            parts.append(f"(HTTP {self.status})")
        if self.request_id:
            parts.append(f"request id {self.request_id}")
        return " ".join(parts)


class InvalidJobId(DrsError, ValueError):
    """The job id was refused before any request was made."""


class JobNotFound(DrsError):
    """DRS.10000010, which DRS answers with HTTP 400."""


class AuthenticationFailed(DrsError):
    """The token or signature was refused, or IAM refused the password."""


class PermissionDenied(DrsError):
    """The credentials work but lack DRS permissions."""


class Throttled(DrsError):
    """HTTP 429 from the gateway; keeps its code and message."""


class RequestRejected(DrsError):
    """Any other 4xx: a bad parameter, an API missing in this region."""


class UpstreamUnavailable(DrsError):
    """Timeouts, refused or dropped connections, 5xx with any body."""


class BadUpstreamResponse(DrsError):
    """A 2xx whose body is malformed JSON, not an object, or too large."""


NOT_FOUND_CODES = {"DRS.10000010"}
TOKEN_INVALID_CODES = {"DRS.M00100", "APIG.0301", "APIGW.0301", "APIG.0303", "APIGW.0303"}
PERMISSION_CODES = {"DRS.M00102", "DRS.M00103"}


def parse_error_body(text: str) -> tuple[str, str, str]:
    """(error_code, error_msg, request_id) from any error body, as the official SDK reads them."""
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        body = None
    for candidate in (body, *(body.values() if isinstance(body, dict) else ())):
        if not isinstance(candidate, dict):
            continue
        for code_key, msg_key in (
            ("error_code", "error_msg"),
            ("errorCode", "errorMsg"),
            ("code", "message"),
        ):
            if code_key in candidate or msg_key in candidate:
                return (
                    str(candidate.get(code_key) or ""),
                    str(candidate.get(msg_key) or ""),
                    str(candidate.get("request_id") or ""),
                )
    return "", _plain_text(text), ""


def _plain_text(text: str) -> str:
    """Shorten an HTML or text body to one readable line."""
    without_tags = re.sub(r"<[^>]*>", " ", text)
    collapsed = " ".join(without_tags.split())
    return collapsed[:MAX_TEXT] + ("…" if len(collapsed) > MAX_TEXT else "")


def error_for_response(status: int, text: str, request_id: str) -> DrsError:
    code, msg, body_request_id = parse_error_body(text)
    fields = {
        "status": status,
        "error_code": code,
        "error_msg": msg,
        "request_id": request_id or body_request_id,
    }
    gateway_code = code.replace("APIGW.", "APIG.")
    if code in NOT_FOUND_CODES:
        return JobNotFound("Job not found", **fields)
    if status == 429 or gateway_code == "APIG.0308":
        return Throttled("Throttled by the API gateway", **fields)
    if code in PERMISSION_CODES:
        return PermissionDenied("The credentials lack DRS permissions", **fields)
    if status == 401 or code in TOKEN_INVALID_CODES:
        return AuthenticationFailed("Authentication failed", **fields)
    if status == 403:
        return PermissionDenied("Access denied", **fields)
    if status >= 500:
        return UpstreamUnavailable("DRS is unavailable", **fields)
    return RequestRejected("DRS rejected the request", **fields)
