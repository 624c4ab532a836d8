"""A real Celery worker and beat on Redis carry a job's transition into the mirror (run by
`make test-prod`; skipped without REDIS_URL)."""

from __future__ import annotations

import os
import time

import pytest

from jobs.mirror.models import JobEvent, MirroredJob
from tests.support import celery_worker_and_beat, wait_for

pytestmark = [
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (make test-prod)"),
    pytest.mark.django_db(transaction=True),
]


def finish_now(job) -> None:
    job.lifecycle.duration = time.time() - job.lifecycle.started


def test_a_transition_reaches_the_mirror_through_worker_and_beat(sim, sim_tenant, tmp_path):
    tenant = sim_tenant()
    job_id = sim.add_live_job(3600, "SUCCESS")  # ends when the test says, not on a clock
    with celery_worker_and_beat(
        tmp_path,
        concurrency=2,
        SYNC_RUNNING_SECONDS="1",
        SYNC_IDLE_SECONDS="2",
        SYNC_PAGE_SIZE="10",
    ):
        row = wait_for(
            lambda: MirroredJob.objects.filter(tenant=tenant, job_id=job_id).first(),
            30,
            "the first sync",
        )
        assert row.status == "TRANSFERRING"
        sim.store.change(job_id, finish_now)
        wait_for(
            lambda: MirroredJob.objects.filter(job_id=job_id, status="SUCCESS").exists(),
            30,
            "the transition",
        )
    row = MirroredJob.objects.get(job_id=job_id)
    assert list(row.history.values_list("status", flat=True)) == ["TRANSFERRING", "SUCCESS"]
    assert JobEvent.objects.filter(job=row, kind="succeeded").count() == 1
    assert MirroredJob.objects.filter(tenant=tenant).count() == len(sim.store)
