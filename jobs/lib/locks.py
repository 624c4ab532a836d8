"""A lock in the shared cache that only its owner releases.

`acquire` stores a random token with the cache's atomic `add`; `release` deletes the key only
if it still holds that token. A holder that outlived its `seconds` has lost the lock: another
process may hold it now, and the late release leaves that one alone. On Redis the check and
the delete are one Lua script; on other caches (the local-memory cache of one process) they
are a get and a delete under a process lock, which is as good as that cache allows.

    lock = CacheLock("sync:lock:7", seconds=600)
    if lock.acquire():
        try:
            ...
        finally:
            lock.release()
"""

from __future__ import annotations

import secrets
import threading
import time

from django.core.cache import BaseCache
from django.core.cache import cache as default_cache

WAIT_STEP = 0.05  # seconds between looks while another holder has the lock

# KEYS[1] the lock, ARGV[1] our token: delete only what is still ours.
_COMPARE_AND_DELETE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)
_local_release = threading.Lock()


class CacheLock:
    """One holder at a time for `key`, for at most `seconds` (at least one)."""

    def __init__(self, key: str, *, seconds: float, cache: BaseCache | None = None) -> None:
        self.key = key
        self.seconds = max(int(seconds), 1)
        self.cache = cache if cache is not None else default_cache
        # An int: Django's Redis cache stores ints as they are, so the script can compare.
        self.token = secrets.randbits(62)

    def acquire(self) -> bool:
        """True if the lock is now ours; False if someone holds it."""
        return self.cache.add(self.key, self.token, timeout=self.seconds)

    def release(self) -> bool:
        """Delete the lock if it is still ours; True if it was."""
        client = _redis_client(self.cache, self.key)
        if client is not None:
            key = self.cache.make_and_validate_key(self.key)
            return bool(client.eval(_COMPARE_AND_DELETE, 1, key, str(self.token)))
        with _local_release:
            if self.cache.get(self.key) != self.token:
                return False
            self.cache.delete(self.key)
            return True

    def held(self) -> bool:
        """Whether anyone (us included) holds the lock now."""
        return self.cache.get(self.key) is not None

    def wait(self, deadline: float) -> None:
        """Return once nobody holds the lock, or at `deadline` (a `time.monotonic()` value)."""
        while self.held() and time.monotonic() < deadline:
            time.sleep(WAIT_STEP)


def _redis_client(cache: BaseCache, key: str):
    """The raw Redis client behind Django's Redis cache (`dashboard.cache`), else None."""
    get_client = getattr(getattr(cache, "_cache", None), "get_client", None)
    if get_client is None:
        return None
    return get_client(cache.make_and_validate_key(key), write=True)
