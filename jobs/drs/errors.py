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

    def __reduce__(self) -> tuple:
        # The default rebuilds from args alone and would lose status, codes and request id.
        return (type(self), (self.args[0] if self.args else "",), self.__dict__)

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


class ActionNotPermitted(PermissionDenied):
    """A create, update, delete or tag call refused for lack of permission (403, DRS.M00102 or
    DRS.M00103 on a write): the credentials may read jobs but not change them.
    `missing_permission` is the IAM action DRS named (e.g. `drs:backupMigration:create`), or ""."""

    @property
    def missing_permission(self) -> str:
        match = _PERMISSION_NAME.search(self.error_msg or "")
        return match.group(0) if match else ""


_PERMISSION_NAME = re.compile(r"\b[a-z]+:[A-Za-z]+:[A-Za-z*]+\b")


class Throttled(DrsError):
    """HTTP 429 from the gateway; keeps its code and message."""


class NoDrsRole(PermissionDenied):
    """DRS.M00101: the user's DRS role is empty."""


class InvalidProjectId(PermissionDenied):
    """DRS.M00261: the project id is not valid for these credentials."""


class RequestRejected(DrsError):
    """Any other 4xx."""


class ApiNotServed(RequestRejected):
    """404 APIG.0101 "API does not exist": this region does not serve the v5 API. Other 404s
    stay plain RequestRejected."""


class ParameterError(RequestRejected):
    """DRS.M00007, M00200, M00201, M00202: DRS refused our parameters, so a bug of ours."""


class RestrictedUser(RequestRejected):
    """DRS.M00105: the user is restricted."""


class EmptyResult(RequestRejected):
    """422 DRS.M00002: no data. `list_jobs` answers it with an empty page."""


class OutboundRefused(RequestRejected):
    """The outbound guard refused the connection before a packet was sent: the endpoint's
    address is internal (private, loopback, link-local, …) and custom endpoints are off."""


class UpstreamUnavailable(DrsError):
    """Timeouts, refused or dropped connections, 5xx with any body."""


class BadUpstreamResponse(DrsError):
    """A 2xx whose body is malformed JSON, not an object, or too large."""


NOT_FOUND_CODES = {"DRS.10000010"}
# Gateway codes are matched on the number: the docs write both APIG. and APIGW.
TOKEN_INVALID_CODES = {"DRS.M00100", "APIG.0301", "APIG.0303"}
THROTTLE_CODE = "APIG.0308"
API_MISSING_CODE = "APIG.0101"
PERMISSION_CODES = {"DRS.M00102", "DRS.M00103"}
PARAMETER_CODES = {"DRS.M00007", "DRS.M00200", "DRS.M00201", "DRS.M00202"}
SERVICE_ABNORMAL_CODE = "DRS.M00004"
_GATEWAY_CODE = re.compile(r"APIGW?\.(\d+)")


def normalise_code(code: str) -> str:
    """`APIGW.0308` → `APIG.0308`; other codes upper-cased and stripped."""
    code = code.strip().upper()
    match = _GATEWAY_CODE.fullmatch(code)
    return f"APIG.{match.group(1)}" if match else code


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


# Checked in order: the first class whose test passes wins.
_BY_CODE: tuple[tuple[str, type[DrsError], str], ...] = (
    ("DRS.10000010", JobNotFound, "Job not found"),
    (SERVICE_ABNORMAL_CODE, UpstreamUnavailable, "DRS reports a service abnormality"),
    ("DRS.M00002", EmptyResult, "DRS found no data"),
    ("DRS.M00101", NoDrsRole, "The credentials have no DRS role"),
    ("DRS.M00261", InvalidProjectId, "The project id is not valid for the credentials"),
    ("DRS.M00102", PermissionDenied, "The credentials lack DRS permissions"),
    ("DRS.M00103", PermissionDenied, "The credentials lack DRS permissions"),
    ("DRS.M00105", RestrictedUser, "The user is restricted"),
    *((code, ParameterError, "DRS refused a parameter") for code in sorted(PARAMETER_CODES)),
)


def error_for_response(status: int, text: str, request_id: str) -> DrsError:
    code, msg, body_request_id = parse_error_body(text)
    fields = {
        "status": status,
        "error_code": code,
        "error_msg": msg,
        "request_id": request_id or body_request_id,
    }
    key = normalise_code(code)
    for known, cls, message in _BY_CODE:
        if key == known:
            return cls(message, **fields)
    if status == 429 or key == THROTTLE_CODE:
        return Throttled("Throttled by the API gateway", **fields)
    if status == 401 or key in TOKEN_INVALID_CODES:
        return AuthenticationFailed("Authentication failed", **fields)
    if status == 403:
        return PermissionDenied("Access denied", **fields)
    if status == 404 and key == API_MISSING_CODE:
        return ApiNotServed("The API does not exist in this region", **fields)
    if status >= 500:
        return UpstreamUnavailable("DRS is unavailable", **fields)
    return RequestRejected("DRS rejected the request", **fields)
