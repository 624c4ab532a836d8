"""SDK-HMAC-SHA256: the API Gateway's AK/SK request signature (drs-api.md §4b)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from urllib.parse import quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()


def _encode(value: str) -> str:
    return quote(value, safe="~")


def canonical_path(path: str) -> str:
    encoded = "/".join(_encode(segment) for segment in unquote(path).split("/"))
    return encoded if encoded.endswith("/") else encoded + "/"


def canonical_query(params: Iterable[tuple[str, str]]) -> str:
    """The sorted, encoded query; also the exact query string to send."""
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(params))


def sdk_date(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime(DATE_FORMAT)


def canonical_request(
    method: str, path: str, query: str, headers: Mapping[str, str], body: bytes = b""
) -> str:
    """The six parts joined by newlines; `headers` are exactly the headers to sign."""
    lowered = {name.lower(): value.strip() for name, value in headers.items()}
    names = sorted(lowered)
    return "\n".join(
        [
            method.upper(),
            canonical_path(path),
            query,
            "".join(f"{name}:{lowered[name]}\n" for name in names),
            ";".join(names),
            hashlib.sha256(body).hexdigest(),
        ]
    )


def string_to_sign(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes = b"",
) -> tuple[str, str]:
    """Return (string to sign, signed header names) for headers that include X-Sdk-Date."""
    canonical = canonical_request(method, path, query, headers, body)
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    names = ";".join(sorted(name.lower() for name in headers))
    date = next(value.strip() for name, value in headers.items() if name.lower() == "x-sdk-date")
    return f"{ALGORITHM}\n{date}\n{digest}", names


def signature(secret_key: str, to_sign: str) -> str:
    return hmac.new(secret_key.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def authorization(
    access_key: str,
    secret_key: str,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes = b"",
) -> str:
    """The Authorization header value; `headers` are exactly the headers to sign."""
    to_sign, signed = string_to_sign(method, path, query, headers, body)
    return (
        f"{ALGORITHM} Access={access_key}, SignedHeaders={signed}, "
        f"Signature={signature(secret_key, to_sign)}"
    )
