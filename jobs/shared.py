"""One upstream call per key per interval, however many requests (and processes) want it.

The first caller takes a cache lock and computes; the others wait for its result instead of
calling upstream too. Works on any Django cache with an atomic `add` (local memory, Redis).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

T = TypeVar("T")
WAIT_STEP = 0.05


class WaitedTooLong(Exception):
    """Another request held the lock past the deadline without leaving a result."""


def shared(key: str, ttl: float, compute: Callable[[], T], *, force: bool = False) -> T:
    """The cached value of `key`, computed by one caller at a time. `compute` must not raise:
    return failures as values, so they are shared (and not retried) for the interval too.
    `force` skips the cached value, at most once per `ttl`: a refresh button cannot flood."""
    result_key, lock_key = f"{key}:result", f"{key}:lock"
    force = force and cache.add(f"{key}:forced", 1, timeout=max(ttl, 1))
    if not force:
        cached = cache.get(result_key)
        if cached is not None:
            return cached
    lock_seconds = int(settings.DRS_DEADLINE) * 2 + 5  # outlives a slow fetch with its retries
    deadline = time.monotonic() + lock_seconds
    token = secrets.token_hex(8)
    while time.monotonic() < deadline:
        if cache.add(lock_key, token, timeout=lock_seconds):
            try:
                cached = None if force else cache.get(result_key)
                if cached is not None:  # the previous holder finished just before we locked
                    return cached
                value = compute()
                cache.set(result_key, value, timeout=max(ttl, 1))
                return value
            finally:
                # Not atomic on Redis; the long lock time makes a stolen lock unlikely.
                if cache.get(lock_key) == token:
                    cache.delete(lock_key)
        while cache.get(lock_key) is not None and time.monotonic() < deadline:
            time.sleep(WAIT_STEP)
        cached = cache.get(result_key)
        if cached is not None:
            return cached
    raise WaitedTooLong(key)
