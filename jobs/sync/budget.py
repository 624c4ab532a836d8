"""The upstream call budget per tenant, and the lock that keeps a tenant's syncs from overlapping.
Both live in the shared cache, so they hold across threads, processes and machines (Redis)."""

from __future__ import annotations

import random
import secrets

from django.conf import settings
from django.core.cache import cache

from jobs.upstream.single_flight import release

WINDOW_SECONDS = 60
LOCK_SECONDS = 600


class BudgetSpent(Exception):
    """This tenant made its SYNC_CALLS_PER_MINUTE calls in the last minute."""


def take_permit(tenant_id: int) -> bool:
    """One call's permit, or False. Each permit is a cache key living one minute, so no
    60-second window ever holds more than the limit (a counter per clock minute would allow
    twice the limit across a minute boundary)."""
    limit = max(int(settings.SYNC_CALLS_PER_MINUTE), 1)
    start = random.randrange(limit)
    for n in range(limit):
        key = f"sync:permit:{tenant_id}:{(start + n) % limit}"
        if cache.add(key, 1, timeout=WINDOW_SECONDS):
            return True
    return False


def permits_in_use(tenant_id: int) -> int:
    limit = max(int(settings.SYNC_CALLS_PER_MINUTE), 1)
    keys = [f"sync:permit:{tenant_id}:{n}" for n in range(limit)]
    return len(cache.get_many(keys))


class TenantLock:
    def __init__(self, tenant_id: int) -> None:
        self.key = f"sync:lock:{tenant_id}"
        self.token = secrets.randbits(62)

    def acquire(self) -> bool:
        return cache.add(self.key, self.token, timeout=LOCK_SECONDS)

    def release(self) -> None:
        release(self.key, self.token)
