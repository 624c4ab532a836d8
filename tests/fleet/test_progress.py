"""A running job's progress on the fleet pages: the typical duration is the median of the
tenant's latest successful jobs of its size class, the estimated finish its start plus that; a
page remembers the typical durations for a few minutes (one cache read for all of a page's
running jobs, no query over the mirror)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jobs.fleet.selectors import running, with_progress
from jobs.mirror.models import MirroredJob
from jobs.tenants.models import Tenant

pytestmark = pytest.mark.django_db


def job(tenant, status: str, size: int, started, minutes: int | None) -> MirroredJob:
    now = timezone.now()
    return MirroredJob.objects.create(
        tenant=tenant,
        job_id=str(uuid.uuid4()),
        status=status,
        size_class=size,
        create_time=started,
        finish_time=started + timedelta(minutes=minutes) if minutes is not None else None,
        first_seen_at=now,
        last_seen_at=now,
        synced_at=now,
    )


def test_typical_duration_estimated_finish_and_remembered_for_a_page(tenant):
    other = Tenant.objects.create(name="Other", project_id="p" * 32)
    now = timezone.now()
    for n, minutes in enumerate((10, 20, 30, 40, 50)):
        job(tenant, "SUCCESS", 14, now - timedelta(days=1, hours=n), minutes)
    for n, minutes in enumerate((5, 7, 9)):
        job(other, "SUCCESS", 15, now - timedelta(days=1, hours=n), minutes)
    job(tenant, "FAILED", 14, now - timedelta(hours=9), 500)  # not a success: not counted
    mine = job(tenant, "TRANSFERRING", 14, now - timedelta(minutes=12), None)
    theirs = job(other, "TRANSFERRING", 15, now - timedelta(minutes=2), None)

    rows = {r.pk: r for r in with_progress(running([tenant, other]), now)}
    assert rows[mine.pk].progress.typical == timedelta(minutes=30)
    assert rows[mine.pk].progress.estimated_finish == mine.create_time + timedelta(minutes=30)
    assert rows[theirs.pk].progress.typical == timedelta(minutes=7)

    job(tenant, "SUCCESS", 14, now - timedelta(hours=1), 100)  # would move the median to 35
    listed = list(running([tenant, other]))
    with CaptureQueriesContext(connection) as captured:
        again = {r.pk: r for r in with_progress(listed, now)}
    assert len(captured) == 0  # remembered: no query over the mirror
    assert again[mine.pk].progress.typical == timedelta(minutes=30)

    cache.clear()  # after PAGE_CACHE_SECONDS, or any cache loss: read again
    fresh = {r.pk: r for r in with_progress(listed, now)}
    assert fresh[mine.pk].progress.typical == timedelta(minutes=35)
