"""Per-user limits on actions that reach upstream (forced refreshes, lookups, exports).

Counted per clock minute in the shared cache with a `jobs.lib.counters.WindowedCounter`, whose
takes are atomic on Redis and in the local-memory cache: parallel requests each get their own
take, so no more than `per_minute` pass in a minute, across processes too with Redis. (At a
minute's edge up to twice the limit can pass within a few seconds; fine for keeping one person
from hammering DRS, and it lets `retry_after` name the second the next minute starts.)

    if not rate_limits.allow(request.user.pk, "force-refresh", per_minute=6):
        return HttpResponse(..., status=429)
"""

from __future__ import annotations

import time

from jobs.lib.counters import WindowedCounter

WINDOW_SECONDS = 60


def allow(user_id: int | str, action: str, per_minute: int) -> bool:
    """Count one `action` by `user_id` now; False once the minute's `per_minute` are used."""
    if per_minute <= 0:
        return False
    window = int(time.time() // WINDOW_SECONDS)
    counter = WindowedCounter(
        f"rate:{action}:{user_id}:{window}", limit=per_minute, seconds=WINDOW_SECONDS
    )
    return counter.take() is not None


def retry_after() -> int:
    """Seconds until the current window ends (for a Retry-After header)."""
    return WINDOW_SECONDS - int(time.time()) % WINDOW_SECONDS
