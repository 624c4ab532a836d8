"""One IAM token per tenant for every worker process: shared through the cache, encrypted with
the credential keys, fetched by one process (under a `CacheLock`, which only its holder
releases) while the others wait for it.

The in-process `TokenCache` stays in front, so a warm worker never reads the cache for a token.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime

from django.core.cache import cache

from jobs.drs import TokenCache
from jobs.lib.locks import CacheLock
from jobs.tenants import crypto

LOCK_SECONDS = 30  # outlives one IAM call with its retries
MARGIN_SECONDS = 3600  # as the client: hand out no token that expires within the hour


class SharedTokenCache(TokenCache):
    def get(self, key: str, fetch: Callable[[], tuple[str, datetime | None]]) -> str:
        return super().get(key, lambda: _shared(key, fetch))

    def invalidate(self, key: str, value: str) -> None:
        super().invalidate(key, value)
        if (found := _read(_name(key))) and found[0] == value:
            cache.delete(_name(key))


def _name(key: str) -> str:
    return "iam-token:" + hashlib.sha256(f"shared:{key}".encode()).hexdigest()


def _shared(key: str, fetch: Callable[[], tuple[str, datetime | None]]):
    name = _name(key)
    deadline = time.monotonic() + LOCK_SECONDS
    lock = CacheLock(f"{name}:lock", seconds=LOCK_SECONDS)
    while time.monotonic() < deadline:
        if found := _read(name):
            return found
        if lock.acquire():
            try:
                if found := _read(name):
                    return found
                token, expires_at = fetch()
                _write(name, token, expires_at)
                return token, expires_at
            finally:
                lock.release()  # not if it timed out and another process holds it now
        lock.wait(deadline)
    return fetch()


def _read(name: str) -> tuple[str, datetime | None] | None:
    sealed = cache.get(name)
    if not sealed:
        return None
    try:
        data = json.loads(crypto.decrypt(sealed))
        expires_at = datetime.fromisoformat(data["expires_at"]) if data["expires_at"] else None
        return data["token"], expires_at
    except (crypto.UndecryptableSecret, ValueError, KeyError, TypeError):
        return None


def _write(name: str, token: str, expires_at: datetime | None) -> None:
    lifetime = (expires_at - datetime.now(UTC)).total_seconds() if expires_at else 3600
    keep = int(lifetime - MARGIN_SECONDS) if lifetime > 2 * MARGIN_SECONDS else int(lifetime / 2)
    if keep > 0:
        stamp = expires_at.isoformat() if expires_at else ""
        cache.set(name, crypto.encrypt(json.dumps({"token": token, "expires_at": stamp})), keep)


SHARED_TOKENS = SharedTokenCache()
