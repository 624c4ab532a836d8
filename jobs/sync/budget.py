"""The upstream call budget per tenant, and the lock that keeps a tenant's syncs from overlapping.
Both live in the shared cache, so they hold across threads, processes and machines (Redis)."""

from __future__ import annotations

from django.conf import settings

from jobs.lib.counters import WindowedCounter
from jobs.lib.locks import CacheLock

WINDOW_SECONDS = 60
LOCK_SECONDS = 600


class BudgetSpent(Exception):
    """This tenant made its SYNC_CALLS_PER_MINUTE calls in the last minute."""


def _permits(tenant_id: int) -> WindowedCounter:
    """One permit per call; each lives a minute, so no 60-second window holds more than
    SYNC_CALLS_PER_MINUTE calls (a counter per clock minute would allow twice the limit across
    a minute's edge)."""
    limit = max(int(settings.SYNC_CALLS_PER_MINUTE), 1)
    return WindowedCounter(f"sync:permit:{tenant_id}", limit=limit, seconds=WINDOW_SECONDS)


def take_permit(tenant_id: int) -> bool:
    """One call's permit, or False when the tenant's budget for the last minute is spent."""
    return _permits(tenant_id).take() is not None


def permits_in_use(tenant_id: int) -> int:
    return _permits(tenant_id).count()


class TenantLock(CacheLock):
    """Held while one sync of the tenant runs; only its holder releases it."""

    def __init__(self, tenant_id: int) -> None:
        super().__init__(f"sync:lock:{tenant_id}", seconds=LOCK_SECONDS)
