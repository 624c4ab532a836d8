"""Failures by cause as the reader sees them: one title once, whatever the signatures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobs.fleet.causes import causes
from jobs.fleet.selectors import failures
from jobs.hints import signature
from jobs.mirror.models import MirroredJob
from jobs.sync.tenant import sync_tenant

pytestmark = pytest.mark.django_db
NEWER_2022 = "Msg 3169, Level 16, State 1, Line 1\nThe database was backed up on a server running version 16.00.1000. That version is incompatible with this server, which is running version 15.00.4236."
NEWER_PRECHECK = (
    "Precheck failed: the backup file version (SQL Server 2022) is later than the target "
    "instance version (2019)."
)
UNKNOWN_A = "Something DRS says that no hint knows about, number one."
UNKNOWN_B = "A different message nobody explains, this time about the network."


def test_causes_with_the_same_hint_are_one_and_unexplained_ones_keep_their_message(tenant):
    at = datetime(2026, 11, 1, tzinfo=UTC)
    logs = [NEWER_2022, NEWER_2022, NEWER_PRECHECK, UNKNOWN_A, UNKNOWN_B]
    for n, log in enumerate(logs):
        MirroredJob.objects.create(
            tenant=tenant,
            job_id=f"job-{n}",
            name=f"job {n}",
            status="FAILED",
            error_log=log,
            failure_signature=signature(log),
            create_time=at,
            finish_time=at,
            first_seen_at=at,
            last_seen_at=at,
            synced_at=at,
        )
    assert signature(NEWER_2022) != signature(NEWER_PRECHECK)  # two messages, one cause
    found = causes(failures([tenant], None, "(no error log)"))
    titles = [c.title for c in found]
    assert len(titles) == len(set(titles)) == 3
    newer = found[0]
    assert newer.title == "The backup comes from a newer SQL Server version"
    assert newer.count == 3 and newer.explained and newer.advice
    assert sorted(newer.signatures) == sorted(map(signature, (NEWER_2022, NEWER_PRECHECK)))
    assert {j.job_id for j in newer.jobs} == {"job-0", "job-1", "job-2"}
    unexplained = [c for c in found if not c.explained]
    assert sorted(c.title for c in unexplained) == sorted(map(signature, (UNKNOWN_A, UNKNOWN_B)))
    assert [c.anchor for c in found] == ["cause-1", "cause-2", "cause-3"]


def test_the_seeded_failures_have_each_title_once(tenant, simulator):
    sync_tenant(tenant)
    found = causes(failures([tenant], None, "(no error log)"))
    titles = [c.title for c in found]
    assert len(titles) == len(set(titles))
    assert "Not explained yet" not in titles
    groups = failures([tenant], None, "(no error log)")
    assert sum(c.count for c in found) == sum(g.count for g in groups)
