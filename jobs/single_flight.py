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


def single_flight(key: str, ttl: float, compute: Callable[[], T], *, force: bool = False) -> T:
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
    token = secrets.randbits(62)  # an int: Django's Redis cache stores ints as they are
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
                release(lock_key, token)
        while cache.get(lock_key) is not None and time.monotonic() < deadline:
            time.sleep(WAIT_STEP)
        cached = cache.get(result_key)
        if cached is not None:
            return cached
    raise WaitedTooLong(key)


_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


def release(lock_key: str, token: int) -> None:
    """Delete the lock if it is still ours: atomically on Redis, where other processes race."""
    get_client = getattr(getattr(cache, "_cache", None), "get_client", None)
    if get_client is not None:
        key = cache.make_and_validate_key(lock_key)
        get_client(key, write=True).eval(_RELEASE, 1, key, str(token))
    elif cache.get(lock_key) == token:
        cache.delete(lock_key)
