"""The two ways to authenticate a DRS request: an IAM password token, or an AK/SK signature."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from jobs.drs import signing
from jobs.drs.models import parse_time

TOKEN_MARGIN_SECONDS = 3600  # refresh an hour early (drs-api.md §4a) ...
TOKEN_MARGIN_SHARE = 0.1  # ... or a tenth of the lifetime, for short-lived tokens
UNKNOWN_TOKEN_LIFETIME = 3600
FAILURE_MEMORY_SECONDS = 5  # a failing IAM is asked once per this, not once per waiting thread


@dataclass
class OutgoingRequest:
    """What auth needs to see and may add headers to. `query` is already canonical."""

    method: str
    host: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes = b""
    deadline: float | None = None  # time.monotonic() by which the whole call must be done


class Auth(Protocol):
    def authorize(self, request: OutgoingRequest) -> None: ...

    def refresh(self, request: OutgoingRequest) -> bool:
        """Called once when DRS refuses the credentials; True if a retry may succeed."""
        ...


@dataclass(frozen=True)
class PasswordCredentials:
    domain: str
    user: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class AccessKeyCredentials:
    access_key: str
    secret_key: str = field(repr=False)
    security_token: str = field(default="", repr=False)


@dataclass(frozen=True)
class _Token:
    value: str = field(repr=False)
    refresh_at: float


class TokenCache:
    """Tokens per (IAM, user, project), shared by every request in the process.

    A missing token is fetched by one thread while the others wait for it; a failed fetch is
    remembered briefly, so the waiting threads get the same error instead of asking again.
    """

    def __init__(self) -> None:
        self._tokens: dict[str, _Token] = {}
        self._failures: dict[str, tuple[Exception, float]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: str, fetch: Callable[[], tuple[str, datetime | None]]) -> str:
        token = self._tokens.get(key)
        if token and time.time() < token.refresh_at:
            return token.value
        with self._lock(key):
            token = self._tokens.get(key)
            if token and time.time() < token.refresh_at:
                return token.value
            failure = self._failures.get(key)
            if failure and time.time() < failure[1]:
                raise failure[0]
            try:
                value, expires_at = fetch()
            except Exception as exc:
                self._failures[key] = (exc, time.time() + FAILURE_MEMORY_SECONDS)
                raise
            self._failures.pop(key, None)
            self._tokens[key] = _Token(value, _refresh_at(expires_at))
            return value

    def invalidate(self, key: str, value: str) -> None:
        """Forget `value` unless another thread has already replaced it."""
        with self._lock(key):
            token = self._tokens.get(key)
            if token and token.value == value:
                del self._tokens[key]

    def clear(self) -> None:
        with self._guard:
            self._tokens.clear()
            self._failures.clear()

    def _lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


def _refresh_at(expires_at: datetime | None) -> float:
    now = time.time()
    expiry = expires_at.timestamp() if expires_at else now + UNKNOWN_TOKEN_LIFETIME
    lifetime = max(expiry - now, 0)
    return expiry - min(TOKEN_MARGIN_SECONDS, lifetime * TOKEN_MARGIN_SHARE)


TOKENS = TokenCache()

TokenFetcher = Callable[[str, bytes, float | None], tuple[str, str]]
"""(url, body, deadline) → (X-Subject-Token, response text); raises DrsError."""


class TokenAuth:
    def __init__(
        self,
        iam_endpoint: str,
        credentials: PasswordCredentials,
        project_id: str,
        post: TokenFetcher,
        cache: TokenCache = TOKENS,
    ) -> None:
        self._url = iam_endpoint.rstrip("/") + "/v3/auth/tokens"
        self._credentials = credentials
        self._project_id = project_id
        self._post = post
        self._cache = cache
        self._key = hashlib.sha256(
            "\0".join(
                [self._url, credentials.domain, credentials.user, credentials.password, project_id]
            ).encode()
        ).hexdigest()

    def authorize(self, request: OutgoingRequest) -> None:
        fetch = lambda: self._fetch(request.deadline)  # noqa: E731 (the DRS call's time limit)
        request.headers["X-Auth-Token"] = self._cache.get(self._key, fetch)

    def refresh(self, request: OutgoingRequest) -> bool:
        self._cache.invalidate(self._key, request.headers.get("X-Auth-Token", ""))
        return True

    def token(self) -> str:
        """A valid token (fetching one if needed): the cheapest proof the credentials work."""
        return self._cache.get(self._key, self._fetch)

    def _fetch(self, deadline: float | None = None) -> tuple[str, datetime | None]:
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": self._credentials.user,
                            "password": self._credentials.password,
                            "domain": {"name": self._credentials.domain},
                        }
                    },
                },
                "scope": {"project": {"id": self._project_id}},
            }
        }
        token, text = self._post(self._url, json.dumps(body).encode(), deadline)
        try:
            expires = json.loads(text).get("token", {}).get("expires_at")
        except (ValueError, AttributeError, RecursionError):
            expires = None
        return token, parse_time(expires)


class AkSkAuth:
    SIGNED = ("content-type", "host", "x-language", "x-project-id", "x-sdk-date")

    def __init__(self, credentials: AccessKeyCredentials, project_id: str) -> None:
        self._credentials = credentials
        self._project_id = project_id

    def authorize(self, request: OutgoingRequest) -> None:
        headers = request.headers
        headers["Host"] = request.host
        headers["X-Project-Id"] = self._project_id
        headers["X-Sdk-Date"] = signing.sdk_date(datetime.now(UTC))
        if self._credentials.security_token:
            headers["X-Security-Token"] = self._credentials.security_token
        signed = {
            name: value
            for name, value in headers.items()
            if name.lower() in self.SIGNED or name.lower() == "x-security-token"
        }
        headers["Authorization"] = signing.authorization(
            self._credentials.access_key,
            self._credentials.secret_key,
            request.method,
            request.path,
            request.query,
            signed,
            request.body,
        )

    def refresh(self, request: OutgoingRequest) -> bool:
        # Five failed signatures lock the AK for five minutes: never retry.
        return False
