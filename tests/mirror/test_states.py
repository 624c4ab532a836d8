"""The one definition of alive, running, finished, failed, succeeded and stalled: the queryset
and the row properties agree on every kind of row."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from jobs.mirror.models import FAILED_STATUSES, TERMINAL_STATUSES, MirroredJob

pytestmark = pytest.mark.django_db
T0 = datetime(2024, 8, 19, 2, 27, 15, tzinfo=UTC)
STATUSES = ("", "TRANSFERRING", "SUCCESS", "FAILED", "PRECHECK FAILED", "PAUSED", "ROLLBACK_FAILED")
STATES = ("alive", "finished", "running", "failed", "succeeded", "stalled")


@pytest.fixture
def rows(make_tenant):
    tenant = make_tenant()
    made = []
    for n, (status, finished, deleted, stalled) in enumerate(
        itertools.product(STATUSES, (False, True), (False, True), (False, True))
    ):
        made.append(
            MirroredJob.objects.create(
                tenant=tenant,
                job_id=f"job-{n}",
                status=status,
                create_time=T0,
                finish_time=T0 + timedelta(hours=1) if finished else None,
                deleted_at=T0 if deleted else None,
                stalled_at=T0 if stalled else None,
                first_seen_at=T0,
                last_seen_at=T0,
                synced_at=T0,
            )
        )
    return made


@pytest.mark.parametrize("state", STATES)
def test_queryset_and_row_agree(rows, state):
    in_sql = set(getattr(MirroredJob.objects, state)().values_list("job_id", flat=True))
    in_python = {row.job_id for row in rows if getattr(row, f"is_{state}")}
    assert in_sql == in_python
    assert 0 < len(in_sql) < len(rows)


def by(rows, **want):
    return {r.job_id for r in rows if all(getattr(r, k) == v for k, v in want.items())}


def test_what_each_state_means(rows):
    running = set(MirroredJob.objects.running().values_list("job_id", flat=True))
    # Not deleted, no finish time, a status that is not terminal: TRANSFERRING, and unknown ones.
    assert running == (
        by(rows, status="TRANSFERRING", finish_time=None, deleted_at=None)
        | by(rows, status="PAUSED", finish_time=None, deleted_at=None)
        | by(rows, status="ROLLBACK_FAILED", finish_time=None, deleted_at=None)
    )
    assert not running & by(rows, status="")  # a row without a status says nothing yet
    failed = set(MirroredJob.objects.alive().failed().values_list("job_id", flat=True))
    assert failed == by(rows, status="FAILED", deleted_at=None) | by(
        rows, status="PRECHECK FAILED", deleted_at=None
    )
    stalled = set(MirroredJob.objects.stalled().values_list("job_id", flat=True))
    assert stalled == {r.job_id for r in rows if r.job_id in running and r.stalled_at}
    assert FAILED_STATUSES == ("FAILED", "PRECHECK FAILED")  # the failures index's condition
    assert TERMINAL_STATUSES == ("FAILED", "PRECHECK FAILED", "SUCCESS")
