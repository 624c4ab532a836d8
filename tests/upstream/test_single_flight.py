"""The single-flight helper: one computation per key per interval, failures shared as outcomes."""

from __future__ import annotations

import pickle
import threading
import time

import pytest
from django.core.cache import cache

from jobs import drs
from jobs.upstream.single_flight import Outcome, WaitedTooLong, single_flight
from tests.support import run_in_threads


def counting(value="v", delay=0.0, error: drs.DrsError | None = None):
    calls = []

    def compute():
        calls.append(1)
        time.sleep(delay)
        if error is not None:
            raise error
        return value

    return compute, calls


def test_value_is_shared_for_the_interval():
    compute, calls = counting("first")
    for _ in range(3):
        outcome = single_flight("k", 30, compute, lock_seconds=5)
        assert outcome.ok and outcome.value == "first"
    assert len(calls) == 1


def test_a_drs_error_is_an_outcome_shared_like_a_value():
    failure = drs.Throttled("slow down", status=429, error_code="APIG.0308", request_id="r-1")
    compute, calls = counting(error=failure)
    first = single_flight("k", 30, compute, lock_seconds=5)
    second = single_flight("k", 30, compute, lock_seconds=5)
    assert not first.ok and first.value is None
    assert isinstance(second.error, drs.Throttled)
    assert (second.error.status, second.error.error_code, second.error.request_id) == (
        429,
        "APIG.0308",
        "r-1",
    )
    assert len(calls) == 1  # a broken upstream is asked once per interval, not per reader


def test_other_exceptions_are_not_swallowed():
    def boom():
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        single_flight("k", 30, boom, lock_seconds=5)
    assert cache.get("k:lock") is None  # and the lock is released


def test_forced_refresh_at_most_once_per_interval():
    compute, calls = counting()
    single_flight("k", 30, compute, lock_seconds=5)
    single_flight("k", 30, compute, lock_seconds=5, force=True)
    single_flight("k", 30, compute, lock_seconds=5, force=True)
    single_flight("k", 30, compute, lock_seconds=5, force=True)
    assert len(calls) == 2  # the first force computes; the others get its outcome


def test_waiters_get_the_holders_outcome():
    compute, calls = counting("from the holder", delay=0.3)
    results: list[Outcome] = []
    start = threading.Barrier(8)

    def read():
        start.wait()
        results.append(single_flight("k", 30, compute, lock_seconds=5))

    run_in_threads([read] * 8)
    assert len(calls) == 1
    assert [r.value for r in results] == ["from the holder"] * 8


def test_a_waiter_gives_up_with_waited_too_long():
    cache.set("k:lock", 42, timeout=30)  # a holder that never finishes
    compute, calls = counting()
    began = time.monotonic()
    outcome = single_flight("k", 30, compute, lock_seconds=0.5)
    assert isinstance(outcome.error, WaitedTooLong)
    assert isinstance(outcome.error, drs.UpstreamUnavailable)
    assert calls == [] and time.monotonic() - began < 2


def test_outcomes_survive_the_cache_round_trip():
    error = drs.JobNotFound("gone", status=400, error_code="DRS.10000010", request_id="r-2")
    outcome = pickle.loads(pickle.dumps(Outcome(None, error, None)))  # noqa: S301 (our own bytes)
    assert isinstance(outcome.error, drs.JobNotFound)
    assert outcome.error.error_code == "DRS.10000010" and outcome.error.request_id == "r-2"
