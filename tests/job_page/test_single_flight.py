"""The single-flight lock is only ever released by its holder (atomically on Redis)."""

from __future__ import annotations

from django.core.cache import cache

from jobs.single_flight import release


def test_release_only_deletes_our_own_lock():
    cache.set("probe:lock", 1234, timeout=30)
    release("probe:lock", 999)
    assert cache.get("probe:lock") == 1234  # someone else's lock stays
    release("probe:lock", 1234)
    assert cache.get("probe:lock") is None
