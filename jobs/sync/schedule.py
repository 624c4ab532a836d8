"""When each tenant is next due for a sync: often while it has running jobs, seldom otherwise,
later and later while it keeps failing."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet

from jobs.tenants.models import Tenant


def due_tenants(now: datetime) -> QuerySet[Tenant]:
    return Tenant.objects.filter(
        Q(sync_state__isnull=True)
        | Q(sync_state__next_due_at__isnull=True)
        | Q(sync_state__next_due_at__lte=now)
    ).order_by("sync_state__next_due_at", "pk")


def interval(running_jobs: int) -> int:
    return settings.SYNC_RUNNING_SECONDS if running_jobs else settings.SYNC_IDLE_SECONDS


def backoff(failures: int, throttled: bool, running_jobs: int) -> timedelta:
    seconds = interval(running_jobs) * 2 ** min(max(failures - 1, 0), 10)
    if throttled:
        seconds = max(seconds, 60)
    return timedelta(seconds=min(seconds, settings.SYNC_MAX_BACKOFF_SECONDS))
