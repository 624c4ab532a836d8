"""A job as the page shows it: at most one upstream call per job per interval, however many
watch (`shared`). Failures are shared for the interval too, so a broken upstream is not hammered.
Terminal jobs come from the stored snapshot.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import drs, tenant_client
from .drs import DrsError, Job, JobNotFound
from .models import JobSnapshot, JobStatusChange, Tenant
from .single_flight import WaitedTooLong, single_flight
from .tenant_client import client_for, explain

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobState:
    job: Job
    fetched_at: datetime
    snapshot: JobSnapshot
    stale_reason: str = ""  # set when upstream failed and this is the last-known snapshot
    error: DrsError | None = None

    @property
    def is_stale(self) -> bool:
        return bool(self.stale_reason)

    @property
    def pretty_json(self) -> str:
        try:
            return json.dumps(json.loads(self.job.raw_json), indent=2, ensure_ascii=False)
        except ValueError:
            return self.job.raw_json


class NoSnapshot(Exception):
    """Upstream failed and we have never seen this job."""

    def __init__(self, error: DrsError, reason: str) -> None:
        self.error = error
        self.reason = reason
        super().__init__(reason)


def interval() -> int:
    return max(int(settings.JOB_REFRESH_SECONDS), 1)


def job_state(tenant: Tenant, job_id: str, *, language: str, force: bool = False) -> JobState:
    """Raises JobNotFound, InvalidJobId, or NoSnapshot; otherwise a state to render."""
    drs.validate_job_id(job_id)
    snapshot = JobSnapshot.objects.filter(tenant=tenant, job_id=job_id).first()
    if snapshot and not force and drs.is_terminal(snapshot.status):
        return _from_snapshot(snapshot)
    result = _shared_fetch(tenant, job_id, language, force)
    snapshot = JobSnapshot.objects.filter(tenant=tenant, job_id=job_id).first()
    if result["ok"]:
        job = Job.parse_json(result["raw"], request_id=result["request_id"])
        return JobState(
            job, result["fetched_at"], snapshot or _unsaved(tenant, job_id, job, result)
        )
    error = _error_from(result)
    if isinstance(error, JobNotFound):
        raise error
    reason = explain(error, tenant)
    if snapshot is None:
        raise NoSnapshot(error, reason)
    return _from_snapshot(snapshot, stale_reason=reason, error=error)


def _from_snapshot(snapshot: JobSnapshot, stale_reason: str = "", error=None) -> JobState:
    job = Job.parse_json(snapshot.raw_json, request_id=snapshot.request_id)
    return JobState(job, snapshot.fetched_at, snapshot, stale_reason, error)


def _unsaved(tenant: Tenant, job_id: str, job: Job, result: dict) -> JobSnapshot:
    """A snapshot that could not be stored (it was deleted meanwhile): unsaved, for rendering."""
    return JobSnapshot(
        tenant=tenant, job_id=job_id, status=job.status, fetched_at=result["fetched_at"]
    )


def _shared_fetch(tenant: Tenant, job_id: str, language: str, force: bool) -> dict:
    try:
        return single_flight(
            f"job:{tenant.pk}:{job_id}",
            interval(),
            lambda: _fetch(tenant, job_id, language),
            force=force,
        )
    except WaitedTooLong:
        return _failure(drs.UpstreamUnavailable(_("Timed out waiting for another refresh.")))


def _fetch(tenant: Tenant, job_id: str, language: str) -> dict:
    fetched_at = timezone.now()
    try:
        job = client_for(tenant, language).get_job(job_id)
    except DrsError as error:
        return _failure(error, fetched_at)
    try:
        _store(tenant, job_id, job, fetched_at)
    except DatabaseError:
        log.exception("Could not store the snapshot of job %s; showing it anyway", job_id)
    return {
        "ok": True,
        "raw": job.raw_json,
        "request_id": job.request_id,
        "fetched_at": fetched_at,
    }


def _failure(error: DrsError, fetched_at: datetime | None = None) -> dict:
    return {
        "ok": False,
        "class": type(error).__name__,
        "message": str(error.args[0]) if error.args else "",
        "status": error.status,
        "error_code": error.error_code,
        "error_msg": error.error_msg,
        "request_id": error.request_id,
        "fetched_at": fetched_at or timezone.now(),
    }


def _error_from(result: dict) -> DrsError:
    cls = getattr(drs, result["class"], None) or getattr(tenant_client, result["class"], None)
    if not (isinstance(cls, type) and issubclass(cls, DrsError)):
        cls = DrsError
    return cls(
        result["message"],
        status=result["status"],
        error_code=result["error_code"],
        error_msg=result["error_msg"],
        request_id=result["request_id"],
    )


def _store(tenant: Tenant, job_id: str, job: Job, fetched_at: datetime) -> None:
    with transaction.atomic():
        snapshot, created = JobSnapshot.objects.select_for_update().get_or_create(
            tenant=tenant,
            job_id=job_id,
            defaults={"raw_json": job.raw_json, "fetched_at": fetched_at},
        )
        if not created and snapshot.fetched_at > fetched_at:
            return  # a slower, older fetch finished last: keep the newer snapshot
        status = job.status[:40]
        changed = created or snapshot.status != status
        snapshot.name = job.name[:100]
        snapshot.status = status
        snapshot.raw_json = job.raw_json
        snapshot.request_id = job.request_id[:64]
        snapshot.fetched_at = fetched_at
        snapshot.save()
        if changed:
            JobStatusChange.objects.create(
                snapshot=snapshot, status=snapshot.status, seen_at=fetched_at
            )
