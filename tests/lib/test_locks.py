"""jobs.lib.locks.CacheLock: one holder at a time, and only the holder releases the lock, also
after it timed out and someone else took it."""

from __future__ import annotations

import threading
import time

from jobs.lib.locks import CacheLock
from tests.support import run_in_threads


def test_one_holder_at_a_time(shared_cache):
    first = CacheLock("job:lock", seconds=30, cache=shared_cache)
    second = CacheLock("job:lock", seconds=30, cache=shared_cache)
    assert first.acquire()
    assert not second.acquire()
    assert second.held()
    assert first.release()
    assert not first.held()
    assert second.acquire()


def test_release_only_deletes_our_own_lock(shared_cache):
    shared_cache.set("probe:lock", 1234, timeout=30)  # someone else's token
    ours = CacheLock("probe:lock", seconds=30, cache=shared_cache)
    assert not ours.release()
    assert shared_cache.get("probe:lock") == 1234  # someone else's lock stays
    ours.token = 1234
    assert ours.release()
    assert shared_cache.get("probe:lock") is None


def test_a_late_release_leaves_the_next_holder_alone(shared_cache):
    late = CacheLock("slow:lock", seconds=1, cache=shared_cache)
    assert late.acquire()
    time.sleep(1.2)  # the holder outlived its lock
    successor = CacheLock("slow:lock", seconds=30, cache=shared_cache)
    assert successor.acquire()
    assert not late.release()
    assert shared_cache.get("slow:lock") == successor.token
    assert not CacheLock("slow:lock", seconds=30, cache=shared_cache).acquire()
    assert successor.release()


def test_parallel_acquires_have_one_winner(shared_cache):
    start, won = threading.Barrier(20), []

    def contend():
        lock = CacheLock("race:lock", seconds=30, cache=shared_cache)
        start.wait()
        if lock.acquire():
            won.append(lock)

    run_in_threads([contend] * 20)
    assert len(won) == 1
    assert shared_cache.get("race:lock") == won[0].token


def test_wait_returns_when_the_holder_releases(shared_cache):
    holder = CacheLock("wait:lock", seconds=30, cache=shared_cache)
    assert holder.acquire()
    threading.Timer(0.3, holder.release).start()
    began = time.monotonic()
    CacheLock("wait:lock", seconds=30, cache=shared_cache).wait(began + 5)
    assert 0.25 < time.monotonic() - began < 2
    assert not holder.held()


def test_wait_gives_up_at_the_deadline(shared_cache):
    assert CacheLock("stuck:lock", seconds=30, cache=shared_cache).acquire()
    began = time.monotonic()
    CacheLock("stuck:lock", seconds=30, cache=shared_cache).wait(began + 0.3)
    assert 0.25 < time.monotonic() - began < 1.5
    assert shared_cache.get("stuck:lock") is not None  # still held: waiting took nothing
