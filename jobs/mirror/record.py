"""The one write path into the mirror: what DRS showed us, and when.

- `saw_detail`: a detail response, from whoever asked (the job page, the sync, the lookup): the
  snapshot and the row, under the id that was asked for, in one transaction; newer wins.
- `observe`: list items (the sync's walks): rows, status history and "job changed" events;
  `events_since` says from when a job seen for the first time is news.
- `mark_deleted`: DRS says the job is gone.  `mark_stalled`: running longer than usual.
- `want_detail` / `skip_detail`: which rows the sync should fetch the detail of.

Each batch runs in one transaction with its rows locked, so a second run or the job page writing
at the same time neither loses nor duplicates anything. A new JobEvent is announced with
`jobs.mirror.signals.job_event_recorded` inside that transaction (the notification outbox
listens); the mirror imports nothing above it.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from jobs.drs import Job, JobSummary
from jobs.drs.models import FAILED, JOB_ID, PRECHECK_FAILED, SUCCESS
from jobs.hints import signature
from jobs.mirror import chains, rollups
from jobs.mirror.models import (
    TERMINAL_STATUSES,
    JobEvent,
    JobSnapshot,
    JobStatusChange,
    MirroredJob,
    TenantSyncState,
    size_class,
)
from jobs.mirror.signals import job_event_recorded
from jobs.tenants.models import Tenant

log = logging.getLogger(__name__)

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

    def __post_init__(self) -> None:  # what DRS sends may be longer than the columns hold
        for name, most in (("name", 255), ("status", 40), ("engine_type", 40)):
            object.__setattr__(self, name, getattr(self, name)[:most])
        object.__setattr__(self, "enterprise_project_id", self.enterprise_project_id[:64])

    @classmethod
    def of_summary(cls, job: JobSummary) -> Seen:
        return cls(
            job_id=job.id,
            name=job.name,
            status=job.status,
            engine_type=job.engine_type,
            error_log=job.error_log,
            description=job.description,
            create_time=job.create_time,
            finish_time=job.finish_time,
            enterprise_project_id=job.enterprise_project_id,
        )

    @classmethod
    def of_job(cls, job: Job, job_id: str) -> Seen:
        """A detail response for `job_id`, the id that was asked for (not the body's)."""
        base = job.base_info
        return cls(
            job_id=job_id,
            name=base.name,
            status=job.status,
            engine_type=base.engine_type,
            error_log=job.error_log,
            description=base.description,
            create_time=job.create_time,
            finish_time=job.finish_time,
            enterprise_project_id=base.enterprise_project_id,
            total_bytes=job.backup_info.total_bytes,
            from_detail=True,
        )

    @property
    def digest(self) -> str:
        """A digest of the list fields: the steady state compares this to the row's
        `seen_digest` instead of loading every field of every row."""
        text = "\x1f".join("" if (v := getattr(self, n)) is None else str(v) for n in LIST_FIELDS)
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


LIST_FIELDS = (
    "name",
    "status",
    "engine_type",
    "error_log",
    "description",
    "create_time",
    "finish_time",
    "enterprise_project_id",
)


def observe(
    tenant: Tenant,
    seen: Iterable[Seen],
    at: datetime,
    *,
    events_since: datetime | None,
    snapshot: JobSnapshot | None = None,
    touch: bool = True,
) -> set[str]:
    """`observe_counted` without the count."""
    return observe_counted(
        tenant, seen, at, events_since=events_since, snapshot=snapshot, touch=touch
    )[0]


def observe_counted(
    tenant: Tenant,
    seen: Iterable[Seen],
    at: datetime,
    *,
    events_since: datetime | None,
    snapshot: JobSnapshot | None = None,
    touch: bool = True,
) -> tuple[set[str], int]:
    """Record the jobs as seen at `at` (list items; `saw_detail` passes a detail with its
    `snapshot`). Returns the ids that were already known, alive and finished before (the
    incremental walk stops when it reaches them). `events_since`: a job seen for the first
    time gets an event only if it finished after this (None: a first sync, no events for the
    fleet's history; see `events_since`). `touch`: move `last_seen_at` of unchanged rows to `at`
    (a full walk does, so "not seen since the walk began" means missing; an incremental run
    that changes nothing writes nothing).

    Set-based, like a bulk load: one read of the page's rows; when nothing differs (the steady
    state) nothing else. Otherwise, in one transaction: the rows re-read locked, the new ones
    inserted complete in one statement (never inserted empty and then updated), the changed
    ones updated in one statement, their status history inserted in one statement.
    Also returns how many rows were inserted or changed."""
    by_id = {s.job_id: s for s in seen if s.job_id}
    if not by_id:
        return set(), 0
    if not touch and snapshot is None:
        peek = {
            row[0]: row
            for row in MirroredJob.objects.filter(
                tenant=tenant, job_id__in=list(by_id)
            ).values_list(*PEEK)
        }
        if len(peek) == len(by_id) and not any(
            _differs(peek[i], item, at) for i, item in by_id.items()
        ):
            return {i for i, row in peek.items() if _alive_and_finished(row)}, 0
    with transaction.atomic():
        for _attempt in range(2):
            try:
                with transaction.atomic():
                    return _observe_locked(tenant, by_id, at, events_since, snapshot, touch)
            except IntegrityError:
                continue  # another writer inserted some of the same rows: again, locked
        return _observe_locked(tenant, by_id, at, events_since, snapshot, touch)


def _observe_locked(tenant, by_id, at, events_since, snapshot, touch) -> tuple[set[str], int]:
    rows = {
        row.job_id: row
        for row in MirroredJob.objects.select_for_update().filter(
            tenant=tenant, job_id__in=list(by_id)
        )
    }
    known_finished = {i for i, row in rows.items() if row.is_alive and row.is_finished}
    new, changed, untouched, history, events = [], [], [], [], []
    before = {}  # the changed rows' rollup fields before: where they counted (`rollups`)
    for job_id, item in by_id.items():
        row = rows.get(job_id)
        if row is None:
            row = MirroredJob(
                tenant=tenant, job_id=job_id, first_seen_at=at, last_seen_at=at, synced_at=at
            )
            _apply(tenant, row, item, at, events_since, snapshot, history, events)
            new.append(row)
            continue
        was = tuple(getattr(row, name) for name in ROLLUP_FIELDS)
        if _apply(tenant, row, item, at, events_since, snapshot, history, events):
            changed.append(row)
            before[row.pk] = was
        elif touch:
            untouched.append(row.pk)
    if new:
        MirroredJob.objects.bulk_create(new)  # ids come back (PostgreSQL, SQLite ≥ 3.35)
    if changed:
        MirroredJob.objects.bulk_update(changed, WRITTEN_FIELDS)
    if untouched:
        MirroredJob.objects.filter(pk__in=untouched, last_seen_at__lt=at).update(last_seen_at=at)
    if history:
        JobStatusChange.objects.bulk_create(
            [JobStatusChange(job=row, **change) for row, change in history]
        )
    _roll_up(new, changed, before)
    for row, kind, occurred_at, detail in events:
        _event(tenant, row, kind, occurred_at, detail)
    changed_ids = {id(row) for row in changed}
    for row in {id(r): r for r, _change in history if id(r) in changed_ids}.values():
        if not by_id[row.job_id].from_detail:  # a detail places the job itself (saw_detail)
            chains.refresh_job(row, events_since)
    return known_finished, len(new) + len(changed)


# What a row's place in the rollups depends on (`rollups.of_row`), besides its chains.
ROLLUP_FIELDS = ("status", "create_time", "finish_time", "total_bytes", "deleted_at")


def _roll_up(new: list[MirroredJob], changed: list[MirroredJob], before: dict) -> None:
    """The page's new rows into the rollups, its changed rows moved: set-based (`rollups.move`).
    New rows are in no chain yet; the chains of changed rows are read only for rows whose
    place moved."""
    moved = [
        row
        for row in changed
        if before[row.pk] != tuple(getattr(row, name) for name in ROLLUP_FIELDS)
    ]
    chained = rollups.chained_ids(row.pk for row in moved)
    pairs = [(None, rollups.of_row(row, False)) for row in new]
    for row in moved:
        status, create_time, finish_time, total_bytes, deleted_at = before[row.pk]
        was = rollups.job_state(
            row.tenant_id,
            status,
            create_time,
            finish_time,
            total_bytes,
            deleted_at is not None,
            row.pk in chained,
        )
        pairs.append((was, rollups.of_row(row, row.pk in chained)))
    rollups.move(pairs)


WRITTEN_FIELDS = (
    *LIST_FIELDS,
    "failure_signature",
    "seen_digest",
    "total_bytes",
    "size_class",
    "needs_detail",
    "snapshot",
    "deleted_at",
    "last_seen_at",
    "synced_at",
)


PEEK = ("job_id", "seen_digest", "status", "deleted_at", "last_seen_at", "finish_time")


@functools.lru_cache(maxsize=2048)
def _signature(error_log: str) -> str:
    """`hints.signature`, once per distinct log: a fleet's failures share a few causes, and a
    first sync would otherwise run the hints' expressions over every failed job's log."""
    return signature(error_log)


def _differs(row: tuple, item: Seen, at: datetime) -> bool:
    """Would `_apply` change this row (a PEEK tuple) for this list item?"""
    _job_id, digest, status, deleted_at, last_seen_at, _finish = row
    if status and last_seen_at > at:
        return False  # older than what the row knows
    return not status or deleted_at is not None or digest != item.digest


def _alive_and_finished(row: tuple) -> bool:
    _job_id, _digest, status, deleted_at, _last_seen, finish_time = row
    return deleted_at is None and (finish_time is not None or status in TERMINAL_STATUSES)


def _apply(
    tenant: Tenant,
    row: MirroredJob,
    item: Seen,
    at: datetime,
    events_since: datetime | None,
    snapshot: JobSnapshot | None,
    history: list,
    events: list,
) -> bool:
    """Update one row in memory (new, or locked); False when nothing changed. Its status
    change goes to `history`, its events to `events`, written by the caller in bulk."""
    first_sight = not row.status
    if not first_sight and row.last_seen_at > at:
        return False  # an older observation arriving late: the row already knows better
    before = {name: getattr(row, name) for name in LIST_FIELDS}
    after = {name: getattr(item, name) for name in LIST_FIELDS}
    digest = item.digest
    changed = before != after or row.deleted_at is not None or row.seen_digest != digest
    row.seen_digest = digest
    for name, value in after.items():
        setattr(row, name, value)
    if first_sight or before["error_log"] != item.error_log:
        row.failure_signature = _signature(item.error_log) if item.error_log else ""
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
        _status_changed(row, item, at, before["status"], events_since, history, events)
    if before["name"] and item.name and before["name"] != item.name:
        events.append((row, JobEvent.Kind.RENAMED, at, {"from": before["name"], "to": item.name}))
    return True


def _status_changed(row, item: Seen, at, previous: str, events_since, history, events) -> None:
    first_sight = not previous
    history.append((row, {"status": item.status, "seen_at": at, "finish_time": item.finish_time}))
    if not item.from_detail and (not first_sight or item.status not in TERMINAL_STATUSES):
        row.needs_detail = True  # a change, or a running job we have no size for yet
    kind = TERMINAL_EVENTS.get(item.status)
    if kind is None:
        return
    happened = item.finish_time or at
    if first_sight and (events_since is None or happened < events_since):
        return  # history we are learning about, not news
    events.append((row, kind, happened, {"status": item.status, "previous": previous}))


def _event(tenant, row, kind: str, occurred_at: datetime, detail: dict) -> None:
    event, created = JobEvent.objects.get_or_create(
        job=row, kind=kind, occurred_at=occurred_at, defaults={"tenant": tenant, "detail": detail}
    )
    if created:  # its notifications are written by the receivers, in this transaction
        job_event_recorded.send(sender=JobEvent, event=event)


def events_since(tenant: Tenant) -> datetime | None:
    """Jobs first seen finished after this are news: the tenant's last successful sync, less
    the idle interval. Before its first full sync nothing is (None)."""
    state = TenantSyncState.objects.filter(tenant=tenant).only("last_success_at").first()
    return events_since_success(state.last_success_at if state else None)


def events_since_success(last_success_at: datetime | None) -> datetime | None:
    """`events_since` for a tenant whose last successful sync began at `last_success_at`."""
    if last_success_at is None:
        return None
    return last_success_at - timedelta(seconds=settings.SYNC_IDLE_SECONDS)


def saw_detail(tenant: Tenant, asked_id: str, job: Job, at: datetime) -> bool:
    """We asked DRS for `asked_id` at `at` and it answered `job`: keep the snapshot and the
    mirror row, both under `asked_id` whatever id the body claims (a body saying `../x`
    changes nothing about which job was answered), in one transaction. Newer wins: an answer
    older than the stored snapshot changes nothing. The row's `needs_detail` is cleared.
    False when nothing was written (`asked_id` is no job id, or the answer was older)."""
    if not JOB_ID.fullmatch(asked_id):
        return False
    if job.id != asked_id:
        log.warning("The detail of job %s claims another id; kept under the id asked for", asked_id)
    with transaction.atomic():
        snapshot = _store_snapshot(tenant, asked_id, job, at)
        if snapshot is None:
            return False
        since = events_since(tenant)
        observe(tenant, [Seen.of_job(job, asked_id)], at, events_since=since, snapshot=snapshot)
        row = MirroredJob.objects.get(tenant=tenant, job_id=asked_id)
        chains.place(tenant, row, job, since)
    return True


def _store_snapshot(tenant: Tenant, job_id: str, job: Job, at: datetime) -> JobSnapshot | None:
    """The job's snapshot, now holding `job`; None when the stored one is newer (kept)."""
    values = {
        "name": job.name[:100],
        "status": job.status[:40],
        "raw_json": job.raw_json,
        "request_id": job.request_id[:64],
        "fetched_at": at,
    }
    snapshot, created = JobSnapshot.objects.select_for_update().get_or_create(
        tenant=tenant, job_id=job_id, defaults=values
    )
    if created:
        return snapshot
    if snapshot.fetched_at > at:
        return None  # a slower, older fetch finished last: keep the newer snapshot
    for name, value in values.items():
        setattr(snapshot, name, value)
    snapshot.save()
    return snapshot


def mark_deleted(tenant: Tenant, job_id: str, at: datetime) -> bool:
    """DRS no longer has the job (DRS.10000010 on its detail). True if this is news; then the
    row is marked deleted, needs no detail, and a "deleted" event is written."""
    with transaction.atomic():
        row = MirroredJob.objects.select_for_update().filter(tenant=tenant, job_id=job_id).first()
        if row is None or row.deleted_at is not None:
            return False
        chained = bool(rollups.chained_ids([row.pk]))
        was = rollups.of_row(row, chained)
        row.deleted_at = at
        row.needs_detail = False
        row.synced_at = timezone.now()
        row.save(update_fields=["deleted_at", "needs_detail", "synced_at"])
        rollups.move([(was, rollups.of_row(row, chained))])  # to the deleted ones' bucket
        _event(tenant, row, JobEvent.Kind.DELETED, at, {"status": row.status})
        chains.refresh_job(row, None)  # it keeps its place in its chains, marked
    return True


def mark_stalled(
    tenant: Tenant, row: MirroredJob, at: datetime, occurred_at: datetime, detail: dict
) -> bool:
    """Flag a running job as "running longer than usual" at `at`, once, with a "stalled" event
    at `occurred_at` (when it crossed its threshold). False if it was flagged already or no
    longer runs."""
    with transaction.atomic():
        locked = MirroredJob.objects.select_for_update().filter(pk=row.pk).first()
        if locked is None or locked.stalled_at is not None or not locked.is_running:
            return False
        locked.stalled_at = at
        locked.save(update_fields=["stalled_at"])
        _event(tenant, locked, JobEvent.Kind.STALLED, occurred_at, detail)
    return True


def want_detail(tenant: Tenant, job_ids: Iterable[str]) -> int:
    """The sync should fetch these alive jobs' details (a change it cannot see in the list)."""
    return (
        MirroredJob.objects.filter(tenant=tenant, job_id__in=list(job_ids))
        .alive()
        .update(needs_detail=True)
    )


def skip_detail(tenant: Tenant, job_id: str, reason: str) -> None:
    """Give up on a job's detail (DRS refuses the id itself): the sync stops asking."""
    log.warning("Job %s of %s: detail given up (%s)", job_id, tenant.slug, reason)
    MirroredJob.objects.filter(tenant=tenant, job_id=job_id).update(needs_detail=False)
