"""jobs.lib.counters.WindowedCounter: at most `limit` takes in any window, also in parallel;
a take given back frees its own slot only."""

from __future__ import annotations

import threading
import time

from jobs.lib.counters import WindowedCounter
from tests.support import run_in_threads


def test_at_most_limit_takes(shared_cache):
    counter = WindowedCounter("calls", limit=3, seconds=30, cache=shared_cache)
    takes = [counter.take() for _ in range(5)]
    assert [take is not None for take in takes] == [True, True, True, False, False]
    assert counter.count() == 3
    assert WindowedCounter("other", limit=3, seconds=30, cache=shared_cache).take() is not None
    assert WindowedCounter("none", limit=0, seconds=30, cache=shared_cache).take() is None


def test_a_take_given_back_does_not_count(shared_cache):
    counter = WindowedCounter("attempts", limit=2, seconds=30, cache=shared_cache)
    first, second = counter.take(), counter.take()
    assert counter.take() is None
    counter.give_back(first)
    assert counter.count() == 1
    assert counter.take() is not None
    assert counter.take() is None
    assert second is not None


def test_parallel_takes_never_exceed_the_limit(shared_cache):
    start, results = threading.Barrier(30), []

    def take():
        counter = WindowedCounter("parallel", limit=10, seconds=30, cache=shared_cache)
        start.wait()
        results.append(counter.take() is not None)

    run_in_threads([take] * 30)
    assert results.count(True) == 10


def test_each_take_expires_a_window_after_it_was_made(shared_cache):
    counter = WindowedCounter("rolling", limit=2, seconds=2, cache=shared_cache)
    assert counter.take() is not None
    time.sleep(1.1)
    assert counter.take() is not None
    assert counter.take() is None  # two in the last two seconds
    time.sleep(1.1)  # the first take has expired, the second not yet
    assert counter.count() == 1
    assert counter.take() is not None
    assert counter.take() is None


def test_giving_back_an_expired_take_leaves_its_new_holder_alone(shared_cache):
    counter = WindowedCounter("late", limit=1, seconds=1, cache=shared_cache)
    old = counter.take()
    time.sleep(1.2)
    new = counter.take()
    assert new is not None
    counter.give_back(old)
    assert counter.count() == 1
    assert counter.take() is None
