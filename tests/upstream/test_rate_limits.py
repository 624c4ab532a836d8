"""jobs.upstream.rate_limits: per user and action, atomic under parallel requests, a fresh minute resets."""

from __future__ import annotations

import threading

from jobs.upstream import rate_limits
from jobs.upstream.rate_limits import allow
from tests.support import run_in_threads


def test_limit_per_user_and_action():
    assert [allow(1, "refresh", 3) for _ in range(5)] == [True, True, True, False, False]
    assert allow(2, "refresh", 3)  # another user
    assert allow(1, "export", 3)  # another action
    assert not allow(1, "anything", 0)


def test_parallel_requests_never_exceed_the_limit():
    results, start = [], threading.Barrier(30)

    def hit():
        start.wait()
        results.append(allow(7, "lookup", 10))

    run_in_threads([hit] * 30)
    assert results.count(True) == 10


def test_a_new_minute_starts_afresh(monkeypatch):
    now = [1_000_000 * 60 + 5.0]
    monkeypatch.setattr(rate_limits.time, "time", lambda: now[0])
    assert allow(1, "refresh", 1) and not allow(1, "refresh", 1)
    assert rate_limits.retry_after() == 55
    now[0] += 60
    assert allow(1, "refresh", 1)
