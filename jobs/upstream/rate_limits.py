"""Per-user limits on actions that reach upstream (forced refreshes, lookups, exports).

A fixed one-minute window counted in the shared cache with `add` + `incr`, which are atomic on
Redis and in the local-memory cache: parallel requests each get their own number, so no more
than `per_minute` pass in a window, across processes too with Redis. (At a window's edge up to
twice the limit can pass within a few seconds; fine for keeping one person from hammering DRS.)

    if not rate_limits.allow(request.user.pk, "force-refresh", per_minute=6):
        return HttpResponse(..., status=429)
"""

from __future__ import annotations

import time

from django.core.cache import cache

WINDOW_SECONDS = 60


def allow(user_id: int | str, action: str, per_minute: int) -> bool:
    """Count one `action` by `user_id` now; False once the minute's `per_minute` are used."""
    if per_minute <= 0:
        return False
    window = int(time.time() // WINDOW_SECONDS)
    key = f"rate:{action}:{user_id}:{window}"
    cache.add(key, 0, WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.add(key, 1, WINDOW_SECONDS * 2)
        count = 1
    return count <= per_minute


def retry_after() -> int:
    """Seconds until the current window ends (for a Retry-After header)."""
    return WINDOW_SECONDS - int(time.time()) % WINDOW_SECONDS
