"""A job as its page shows it: at most one upstream call per job per interval, however many
watch (`single_flight`). What DRS answers goes into the mirror (`jobs.mirror.record.saw_detail`,
under the id in the URL); finished jobs come from the stored snapshot; when DRS fails, the last
snapshot is shown with the error that made it stale; a job DRS no longer has is marked deleted.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _

from jobs import drs
from jobs.drs import DrsError, Job, JobFilters, JobNotFound, JobPage
from jobs.lib.terminal import json_text, safe
from jobs.mirror.models import JobSnapshot
from jobs.mirror.record import mark_deleted, saw_detail
from jobs.tenants.models import Tenant
from jobs.upstream.client import client_for
from jobs.upstream.single_flight import Outcome, cached, single_flight

log = logging.getLogger(__name__)
TARGET_SECONDS = 60
TARGET_JOBS = 10
RAW_SHOWN = 200_000  # characters of the raw response on the job page
# How long a request waits for another one's fetch of the same job before it shows the last
# snapshot (or says why it cannot): a slow or trickling DRS must not hold every thread.
WAIT_FOR_HOLDER_SECONDS = 3.0


@dataclass(frozen=True)
class JobState:
    job_id: str
    job: Job
    fetched_at: datetime
    error: DrsError | None = None  # set when upstream failed and this is the last-known snapshot
    deleted_at: datetime | None = None  # DRS no longer has the job: this is what we last saw

    @property
    def is_stale(self) -> bool:
        return self.error is not None

    @property
    def pretty_json(self) -> str:
        """The body as received, indented, controls escaped; a huge one (60,000 files) is cut
        at RAW_SHOWN characters so that the page stays small."""
        raw = self.job.raw_json
        if len(raw) > RAW_SHOWN:
            return (
                safe(raw[:RAW_SHOWN], keep="\t\n\r")
                + "\n… "
                + _("(%(more)d more characters not shown)") % {"more": len(raw) - RAW_SHOWN}
            )
        try:
            return json_text(json.loads(raw), indent=2)
        except (ValueError, RecursionError):
            return safe(raw, keep="\t\n\r")


class NoSnapshot(Exception):
    """Upstream failed and we have never seen this job."""

    def __init__(self, error: DrsError) -> None:
        self.error = error
        super().__init__(str(error))


def interval() -> int:
    return max(int(settings.JOB_REFRESH_SECONDS), 1)


def lock_seconds() -> float:
    """Outlives one fetch with its retries, so waiters do not give up on a slow holder."""
    return settings.DRS_DEADLINE * 2 + 5


def shared_key(tenant: Tenant, job_id: str, language: str) -> str:
    """Everything that changes DRS's answer: the tenant, the job and the X-Language."""
    return f"job:{tenant.pk}:{job_id}:{language}"


def job_state(tenant: Tenant, job_id: str, *, language: str, force: bool = False) -> JobState:
    """Raises JobNotFound (for a job we never saw), InvalidJobId, or NoSnapshot; otherwise a
    state to render (the last snapshot of a job DRS has deleted, or that DRS failed to give)."""
    drs.validate_job_id(job_id)
    key = shared_key(tenant, job_id, language)
    outcome = None if force else cached(key)
    if outcome is not None and outcome.ok:
        return JobState(job_id, outcome.value, outcome.at)
    snapshot = JobSnapshot.objects.filter(tenant=tenant, job_id=job_id).first()
    if outcome is None and snapshot and not force and drs.is_terminal(snapshot.status):
        return _from_snapshot(snapshot)
    if outcome is None:
        outcome = single_flight(
            key,
            interval(),
            lambda: _fetch(tenant, job_id, language),
            lock_seconds=lock_seconds(),
            force=force,
            wait_seconds=WAIT_FOR_HOLDER_SECONDS,
        )
    return _state(tenant, job_id, outcome, snapshot)


def _state(
    tenant: Tenant, job_id: str, outcome: Outcome[Job], snapshot: JobSnapshot | None
) -> JobState:
    if outcome.ok:
        return JobState(job_id, outcome.value, outcome.at)
    if snapshot is None or snapshot.fetched_at > outcome.at:
        snapshot = JobSnapshot.objects.filter(tenant=tenant, job_id=job_id).first()
    if isinstance(outcome.error, JobNotFound):
        if snapshot is None:
            raise outcome.error
        mark_deleted(tenant, job_id, outcome.at)
        return replace(_from_snapshot(snapshot), deleted_at=outcome.at)
    if snapshot is None:
        raise NoSnapshot(outcome.error)
    return _from_snapshot(snapshot, error=outcome.error)


def _from_snapshot(snapshot: JobSnapshot, error: DrsError | None = None) -> JobState:
    job = Job.parse_json(snapshot.raw_json, request_id=snapshot.request_id)
    return JobState(snapshot.job_id, job, snapshot.fetched_at, error)


def _fetch(tenant: Tenant, job_id: str, language: str) -> Job:
    asked_at = timezone.now()
    job = client_for(tenant, language).get_job(job_id)
    try:
        saw_detail(tenant, job_id, job, asked_at)
    except DatabaseError:
        log.exception("Could not store the snapshot of job %s; showing it anyway", job_id)
    return job


def jobs_on_target(tenant: Tenant, instance_id: str, language: str) -> Outcome[JobPage]:
    """The newest jobs restoring into the same RDS instance (an incremental chain spans jobs),
    from DRS's own instance filter; shared for a minute."""
    filters = JobFilters(dbs_instance_ids=(instance_id,), sort_key="created_at", sort_dir="desc")
    return single_flight(
        f"target:{tenant.pk}:{instance_id}:{language}",
        TARGET_SECONDS,
        lambda: client_for(tenant, language).list_jobs(filters, limit=TARGET_JOBS),
        lock_seconds=lock_seconds(),
    )
