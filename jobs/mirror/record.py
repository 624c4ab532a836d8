"""Writing what DRS showed us into the mirror: rows, status history and "job changed" events,
each batch in one transaction with its rows locked, so a second run or the job page writing at
the same time neither loses nor duplicates anything."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from jobs.drs import Job, JobSummary
from jobs.drs.models import FAILED, JOB_ID, PRECHECK_FAILED, SUCCESS, is_terminal
from jobs.hints import signature
from jobs.mirror.models import JobEvent, JobSnapshot, JobStatusChange, MirroredJob
from jobs.notify.outbox import enqueue_for_event
from jobs.sync.progress import size_class
from jobs.tenants.models import Tenant

TERMINAL_EVENTS = {
    SUCCESS: JobEvent.Kind.SUCCEEDED,
    FAILED: JobEvent.Kind.FAILED,
    PRECHECK_FAILED: JobEvent.Kind.PRECHECK_FAILED,
}


@dataclass(frozen=True)
class Seen:
    """One job as a list item or a detail response showed it."""

    job_id: str
    name: str
    status: str
    engine_type: str
    error_log: str
    description: str
    create_time: datetime | None
    finish_time: datetime | None
    enterprise_project_id: str
    total_bytes: int | None = None
    from_detail: bool = False

    @classmethod
    def of_summary(cls, job: JobSummary) -> Seen:
        return cls(
            job.id, job.name[:255], job.status[:40], job.engine_type[:40], job.error_log,
            job.description, job.create_time, job.finish_time, job.enterprise_project_id[:64],
        )  # fmt: skip

    @classmethod
    def of_job(cls, job: Job, job_id: str = "") -> Seen:
        base = job.base_info
        return cls(
            job_id or job.id, base.name[:255], job.status[:40], base.engine_type[:40],
            job.error_log, base.description, job.create_time, job.finish_time,
            base.enterprise_project_id[:64], job.backup_info.total_bytes, from_detail=True,
        )  # fmt: skip


LIST_FIELDS = ("name", "status", "engine_type", "error_log", "description", "create_time",
               "finish_time", "enterprise_project_id")  # fmt: skip


def observe(
    tenant: Tenant,
    seen: Iterable[Seen],
    at: datetime,
    *,
    events_since: datetime | None,
    snapshot: JobSnapshot | None = None,
) -> set[str]:
    """Record the jobs as seen at `at`. Returns the ids that were already known and finished
    before (the incremental walk stops when it reaches them). `events_since`: a job seen for
    the first time gets an event only if it finished after this (None: a first sync, no events
    for the fleet's history)."""
    by_id = {s.job_id: s for s in seen if s.job_id}
    if not by_id:
        return set()
    known_finished: set[str] = set()
    with transaction.atomic():
        rows = _locked_rows(tenant, list(by_id), at)
        untouched = []
        for job_id, item in by_id.items():
            row = rows[job_id]
            if row.status and is_terminal(row.status) and row.deleted_at is None:
                known_finished.add(job_id)
            if not _apply(tenant, row, item, at, events_since, snapshot):
                untouched.append(row.pk)
        if untouched:
            MirroredJob.objects.filter(pk__in=untouched, last_seen_at__lt=at).update(
                last_seen_at=at
            )
    return known_finished


def _locked_rows(tenant: Tenant, job_ids: list[str], at: datetime) -> dict[str, MirroredJob]:
    existing = set(
        MirroredJob.objects.filter(tenant=tenant, job_id__in=job_ids).values_list(
            "job_id", flat=True
        )
    )
    new = [
        MirroredJob(tenant=tenant, job_id=i, first_seen_at=at, last_seen_at=at, synced_at=at)
        for i in job_ids
        if i not in existing
    ]
    if new:
        MirroredJob.objects.bulk_create(new, ignore_conflicts=True)
    rows = MirroredJob.objects.select_for_update().filter(tenant=tenant, job_id__in=job_ids)
    return {row.job_id: row for row in rows}


def _apply(
    tenant: Tenant,
    row: MirroredJob,
    item: Seen,
    at: datetime,
    events_since: datetime | None,
    snapshot: JobSnapshot | None,
) -> bool:
    """Update one locked row; False when nothing changed."""
    first_sight = not row.status
    if not first_sight and row.last_seen_at > at:
        return False  # an older observation arriving late: the row already knows better
    before = {name: getattr(row, name) for name in LIST_FIELDS}
    after = {name: getattr(item, name) for name in LIST_FIELDS}
    changed = before != after or row.deleted_at is not None
    for name, value in after.items():
        setattr(row, name, value)
    if first_sight or before["error_log"] != item.error_log:
        row.failure_signature = signature(item.error_log) if item.error_log else ""
    if item.from_detail:
        changed = changed or row.needs_detail or row.total_bytes != item.total_bytes
        row.total_bytes = item.total_bytes
        row.size_class = size_class(item.total_bytes)
        row.needs_detail = False
        if snapshot is not None and row.snapshot_id != snapshot.pk:
            row.snapshot = snapshot
            changed = True
    if not changed:
        return False
    row.deleted_at = None
    row.last_seen_at = max(row.last_seen_at, at)
    row.synced_at = timezone.now()
    if before["status"] != item.status:
        _status_changed(tenant, row, item, at, before["status"], events_since)
    if before["name"] and item.name and before["name"] != item.name:
        _event(tenant, row, JobEvent.Kind.RENAMED, at, {"from": before["name"], "to": item.name})
    row.save()
    return True


def _status_changed(tenant, row, item: Seen, at, previous: str, events_since) -> None:
    first_sight = not previous
    JobStatusChange.objects.create(
        job=row, status=item.status, seen_at=at, finish_time=item.finish_time
    )
    if not item.from_detail and (not first_sight or not is_terminal(item.status)):
        row.needs_detail = True  # a change, or a running job we have no size for yet
    kind = TERMINAL_EVENTS.get(item.status)
    if kind is None:
        return
    happened = item.finish_time or at
    if first_sight and (events_since is None or happened < events_since):
        return  # history we are learning about, not news
    _event(tenant, row, kind, happened, {"status": item.status, "previous": previous})


def _event(tenant, row, kind: str, occurred_at: datetime, detail: dict) -> None:
    event, created = JobEvent.objects.get_or_create(
        job=row, kind=kind, occurred_at=occurred_at, defaults={"tenant": tenant, "detail": detail}
    )
    if created:
        enqueue_for_event(event)  # its notifications, in this transaction


def mark_deleted(tenant: Tenant, job_id: str, at: datetime) -> bool:
    """DRS no longer has the job (DRS.10000010 on its detail). True if this is news."""
    with transaction.atomic():
        row = MirroredJob.objects.select_for_update().filter(tenant=tenant, job_id=job_id).first()
        if row is None or row.deleted_at is not None:
            return False
        row.deleted_at = at
        row.needs_detail = False
        row.synced_at = timezone.now()
        row.save(update_fields=["deleted_at", "needs_detail", "synced_at"])
        _event(tenant, row, JobEvent.Kind.DELETED, at, {"status": row.status})
    return True


def record_detail(
    tenant: Tenant, job: Job, fetched_at: datetime, snapshot: JobSnapshot | None = None
) -> None:
    """A detail response seen by anyone (the job page, the sync) goes into the mirror; without
    `snapshot`, the snapshot is stored too (newer wins)."""
    job_id = snapshot.job_id if snapshot else job.id
    if not JOB_ID.fullmatch(job_id):  # a body claiming `../x`: no row, no link to it
        return
    if snapshot is None:
        snapshot = _store_snapshot(tenant, job, fetched_at)
    observe(tenant, [Seen.of_job(job, job_id)], fetched_at, events_since=_events_since(tenant),
            snapshot=snapshot)  # fmt: skip


def _store_snapshot(tenant: Tenant, job: Job, fetched_at: datetime) -> JobSnapshot:
    values = {
        "name": job.name[:100],
        "status": job.status[:40],
        "raw_json": job.raw_json,
        "request_id": job.request_id[:64],
        "fetched_at": fetched_at,
    }
    with transaction.atomic():
        snapshot, created = JobSnapshot.objects.select_for_update().get_or_create(
            tenant=tenant, job_id=job.id, defaults=values
        )
        if not created and snapshot.fetched_at < fetched_at:
            for name, value in values.items():
                setattr(snapshot, name, value)
            snapshot.save()
    return snapshot


def _events_since(tenant: Tenant) -> datetime | None:
    from jobs.sync.schedule import events_since

    return events_since(tenant)
