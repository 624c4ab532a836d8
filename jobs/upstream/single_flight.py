"""One upstream call per key per interval, however many requests (and processes) want it.

The first caller takes a cache lock and computes; the others wait for its result instead of
calling upstream too. A DRS failure is an outcome like a value: it is shared for the interval,
so a broken upstream is not hammered. The lock is a `jobs.lib.locks.CacheLock`: works on any
Django cache with an atomic `add`, and a holder that outlived it never releases its successor.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from django.core.cache import cache
from django.utils import timezone

from jobs.drs import DrsError, UpstreamUnavailable
from jobs.lib.locks import CacheLock

T = TypeVar("T")


class WaitedTooLong(UpstreamUnavailable):
    """Another request held the lock past the deadline without leaving a result."""


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What one upstream read gave: a value or a DRS error, and when."""

    value: T | None
    error: DrsError | None
    at: datetime

    @property
    def ok(self) -> bool:
        return self.error is None


def attempt(compute: Callable[[], T]) -> Outcome[T]:
    """Run `compute`, turning a DrsError into an outcome instead of an exception."""
    try:
        return Outcome(compute(), None, timezone.now())
    except DrsError as error:
        return Outcome(None, error, timezone.now())


def cached(key: str) -> Outcome | None:
    """The outcome another caller left for `key`, without computing."""
    return cache.get(f"{key}:result")


def single_flight(
    key: str,
    ttl: float,
    compute: Callable[[], T],
    *,
    lock_seconds: float,
    force: bool = False,
    wait_seconds: float | None = None,
) -> Outcome[T]:
    """The shared outcome of `compute` for `key`, computed by one caller at a time.

    `lock_seconds` must outlive one `compute`; a waiter gives up after it (or after
    `wait_seconds`, when shorter) with `WaitedTooLong`: a holder stuck on a trickling upstream
    then keeps one thread busy, not one per waiting request.
    `force` skips the shared outcome, at most once per `ttl`: a refresh button cannot flood."""
    result_key = f"{key}:result"
    ttl = max(ttl, 1)
    force = force and cache.add(f"{key}:forced", 1, timeout=ttl)
    if not force and (outcome := cache.get(result_key)) is not None:
        return outcome
    deadline = time.monotonic() + min(lock_seconds, wait_seconds or lock_seconds)
    lock = CacheLock(f"{key}:lock", seconds=lock_seconds)
    while time.monotonic() < deadline:
        if lock.acquire():
            try:
                if not force and (outcome := cache.get(result_key)) is not None:
                    return outcome  # the previous holder finished just before we locked
                outcome = attempt(compute)
                cache.set(result_key, outcome, timeout=ttl)
                return outcome
            finally:
                lock.release()
        lock.wait(deadline)
        if (outcome := cache.get(result_key)) is not None:
            return outcome
    return Outcome(None, WaitedTooLong("another request held the refresh too long"), timezone.now())
