"""One unit of work: sync one tenant's jobs into the mirror.

1. Walk the list newest first; an incremental run stops at the first page ending in jobs
   already known and finished, a full run (hourly) walks everything. A full walk longer than
   one run (SYNC_MAX_PAGES, or the call budget) keeps its cursor in the tenant's sync state:
   the next runs read the newest jobs, then resume the walk there, until it is complete; until
   then every run says how far it is and none says "ok".
2. After a complete full walk, a known job that did not appear since the walk began is checked
   (its detail).
3. Jobs the mirror thinks are running and the walk did not reach are refreshed from the list
   filtered to TRANSFERRING; those missing from it have changed and are checked too.
4. Details only for jobs whose status changed (or that need checking), recorded under the id
   asked for whatever id the body claims (`mirror.saw_detail`): DRS.10000010 there means
   "deleted in DRS".
5. Running jobs past their "longer than usual" threshold are flagged, with an event.

Every write to the mirror goes through `jobs.mirror.record`; "running" is the mirror's own
definition (`MirroredJob.objects.running()`).

Every call takes a permit from the tenant's budget; a DRS failure ends the run, is recorded on
the tenant's sync state and backs the next run off. What was written before stays.

A run that finds nothing new costs three queries: the sync state read as the run is marked
started (one UPDATE … RETURNING), the newest page's rows compared, the sync state written.
Counts and pending details are read again only after a run that wrote something.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jobs import drs
from jobs.drs import DrsClient, JobFilters
from jobs.drs.models import TRANSFERRING
from jobs.mirror import chains
from jobs.mirror import record as mirror
from jobs.mirror.models import TERMINAL_STATUSES, MirroredJob, TenantSyncState
from jobs.sync import schedule
from jobs.sync.budget import BudgetSpent, TenantLock, permits_in_use, take_permit
from jobs.sync.progress import Typical
from jobs.sync.walk import REPEATED, Walk
from jobs.tenants.models import Tenant
from jobs.upstream.client import client_for
from jobs.upstream.messages import explain

log = logging.getLogger(__name__)
INCREMENTAL_PAGE = 100
# The incremental walk's first page: a run that finds nothing new reads (and compares) only
# this many jobs; when they are all new, the walk goes on in pages of INCREMENTAL_PAGE.
INCREMENTAL_FIRST_PAGE = 20


@dataclass
class SyncResult:
    tenant: str
    ok: bool = False
    skipped: bool = False
    full: bool = False
    complete: bool = False
    incomplete: bool = False  # a walk stopped at SYNC_MAX_PAGES: not "ok", jobs are missing
    walked: int = 0  # a resumable full walk: where it is in the list, of `walk_count`
    walk_count: int | None = None
    calls: int = 0
    seen: int = 0
    details: int = 0
    backfilled: int = 0  # details of jobs we had none of
    backfill_paused: bool = False  # stopped to leave the budget's reserve
    deleted: int = 0
    note: str = ""
    error: str = ""


@dataclass
class Meter:
    """Counts a run's calls by outcome; each call first takes a permit from the budget."""

    tenant_id: int
    ok: int = 0
    failed: int = 0
    throttled: int = 0

    @property
    def calls(self) -> int:
        return self.ok + self.failed + self.throttled

    def call(self, method, *args, **kwargs):
        if not take_permit(self.tenant_id):
            raise BudgetSpent
        try:
            result = method(*args, **kwargs)
        except drs.JobNotFound:
            self.ok += 1  # an answer
            raise
        except drs.Throttled:
            self.throttled += 1
            raise
        except drs.DrsError:
            self.failed += 1
            raise
        self.ok += 1
        return result


def sync_tenant(tenant: Tenant, *, full: bool | None = None) -> SyncResult:
    """Sync one tenant now, unless another sync of it is running (then `skipped`)."""
    lock = TenantLock(tenant.pk)
    if not lock.acquire():
        return SyncResult(tenant.slug, skipped=True, note=_("Another sync is running."))
    try:
        return Run(tenant).run(full)
    finally:
        lock.release()


@dataclass
class Run:
    tenant: Tenant
    started: datetime = field(default_factory=timezone.now)
    result: SyncResult = field(init=False)
    meter: Meter = field(init=False)
    seen: set[str] = field(default_factory=set)
    seen_running: set[str] = field(default_factory=set)  # seen with a running status
    skipped: int = 0  # list items without a usable id, shown on the tenant's pages
    written: int = 0  # mirror rows this run inserted or changed
    running_jobs: int = 0  # as the run ends
    full_walk: Walk | None = None  # the full walk under way, whose cursor is kept

    def __post_init__(self) -> None:
        self.result = SyncResult(self.tenant.slug)
        self.meter = Meter(self.tenant.pk)

    def run(self, full: bool | None) -> SyncResult:
        clock = time.monotonic()
        # Provisional: a run that dies is retried once the idle interval has passed.
        self.state = state = _start(self.tenant, self.started)
        resuming = state.walk_started_at is not None
        self.full = full if full is not None else resuming or _full_walk_due(state, self.started)
        self.result.full = self.full
        self.events_since = mirror.events_since_success(state.last_success_at)
        error: drs.DrsError | None = None
        try:
            self.client = _client(self.tenant)
            if self.full and resuming:
                self.walk_newest(full=False)  # what is new first, then on where we stopped
                self.walk_full(state.walk_offset)
            else:
                self.walk_newest(full=self.full)
            self.refresh_running()
            self.fetch_details()
            self.backfill_details()
            self.result.ok = not self.result.incomplete
            notes = []
            if self.result.incomplete and self.full_walk is not None:
                notes.append(self.progress_note())
            elif self.result.incomplete:
                notes.append(
                    _(
                        "Incomplete: the job list was longer than %(pages)d pages, the most "
                        "one run reads; jobs beyond them are not mirrored."
                    )
                    % {"pages": settings.SYNC_MAX_PAGES}
                )
            if self.skipped:
                notes.append(
                    ngettext(
                        "%(count)d list item without a usable job id was skipped.",
                        "%(count)d list items without a usable job id were skipped.",
                        self.skipped,
                    )
                    % {"count": self.skipped}
                )
            self.result.note = " ".join(notes)
        except BudgetSpent:
            self.result.note = _("Call budget spent; the sync continues on its next run.")
            if self.full_walk is not None and not self.full_walk.complete:
                self.result.incomplete = True
                self.result.note = f"{self.progress_note()} {self.result.note}"
        except drs.DrsError as exc:
            error = exc
            self.result.error = explain(exc, self.tenant)
        finally:
            self.result.calls = self.meter.calls
            self._finish(clock, error)
        if (self.result.ok or self.result.incomplete) and (self.running_jobs or self.written):
            flagged = flag_stalls(self.tenant, timezone.now())
            if self.written:  # the passing of time alone is the notifier's sweep (outbox)
                flagged += chains.mark_awaiting(self.tenant, timezone.now())
            if flagged:
                TenantSyncState.objects.filter(pk=self.tenant.pk).update(changed_at=timezone.now())
        return self.result

    def progress_note(self) -> str:
        """How far the resumable full walk is."""
        walked, count = self.full_walk.offset, self.full_walk.count
        self.result.walked, self.result.walk_count = walked, count
        if count:
            return _(
                "Incomplete: %(walked)s of %(count)s jobs walked (%(percent)d%%); the walk "
                "continues on the next run, jobs beyond are not mirrored yet."
            ) % {
                "walked": f"{walked:,}",
                "count": f"{count:,}",
                "percent": min(int(100 * walked / count), 99),
            }
        return _(
            "Incomplete: %(walked)s jobs walked; the walk continues on the next run, jobs "
            "beyond are not mirrored yet."
        ) % {"walked": f"{walked:,}"}

    # -- the steps ------------------------------------------------------------------------

    def list_page(self, filters: JobFilters, limit: int, offset: int):
        return self.meter.call(self.client.list_jobs, filters, limit=limit, offset=offset)

    def walk(self, filters: JobFilters, limit: int) -> Walk:
        return Walk(
            lambda lim, off: self.list_page(filters, lim, off), limit, settings.SYNC_MAX_PAGES
        )

    def walked(self, walk: Walk) -> None:
        """After a walk: count what it skipped; a list that repeats pages fails the run (what
        was read before stays), so every page and export says the mirror is incomplete."""
        self.skipped += walk.skipped
        if walk.incomplete_reason and walk.incomplete_reason != REPEATED:
            self.result.incomplete = True  # the page cap
        if walk.incomplete_reason == REPEATED:
            raise drs.BadUpstreamResponse(
                f"DRS repeated a page of the job list; the walk stopped, incomplete, after "
                f"{len(walk.seen)} jobs"
            )

    def observe(self, jobs, at: datetime, *, touch: bool = False) -> set[str]:
        self.result.seen += len(jobs)
        self.seen.update(job.id for job in jobs)
        items = [mirror.Seen.of_summary(j) for j in jobs]
        self.seen_running.update(
            i.job_id
            for i in items
            if i.status and i.status not in TERMINAL_STATUSES and i.finish_time is None
        )
        known_finished, written = mirror.observe_counted(
            self.tenant,
            items,
            at,
            events_since=self.events_since,
            touch=touch,
        )
        self.written += written
        return known_finished

    def walk_newest(self, *, full: bool) -> None:
        if full:
            self.walk_full(0)
            return
        walk = self.walk(JobFilters(sort_key="created_at", sort_dir="desc"), INCREMENTAL_PAGE)
        walk.first_limit = min(INCREMENTAL_FIRST_PAGE, INCREMENTAL_PAGE)
        for jobs in walk.pages():
            known_finished = self.observe(jobs, timezone.now())
            if jobs[-1].id in known_finished:
                break  # reached the part of the list we already know
        self.result.complete = walk.complete
        self.walked(walk)
        if walk.incomplete_reason:
            log.warning("Sync of %s: walk incomplete, %s", self.tenant.slug, walk.incomplete_reason)

    def walk_full(self, offset: int) -> None:
        """The whole list from `offset` (0, or where the last run's walk stopped); every row it
        shows is marked seen now, so a complete walk knows which known jobs it did not show."""
        self.full_walk = walk = self.walk(
            JobFilters(sort_key="created_at", sort_dir="desc"), settings.SYNC_PAGE_SIZE
        )
        walk.offset = offset
        walk.count = self.state.walk_count if offset else None
        self.walk_started_at = self.state.walk_started_at if offset else self.started
        for jobs in walk.pages():
            self.observe(jobs, timezone.now(), touch=True)
        self.result.complete = walk.complete
        self.walked(walk)
        if walk.incomplete_reason:
            log.warning("Sync of %s: walk incomplete, %s", self.tenant.slug, walk.incomplete_reason)
        if walk.complete:
            self.check_missing()

    def check_missing(self) -> None:
        """Known jobs the complete walk did not show (not seen since it began): deleted, or
        skipped as the list shifted. Their details tell."""
        missing = (
            MirroredJob.objects.filter(tenant=self.tenant, last_seen_at__lt=self.walk_started_at)
            .alive()
            .values_list("job_id", flat=True)
        )
        missing = set(missing)
        if missing:
            self.written += mirror.want_detail(self.tenant, missing)

    def refresh_running(self) -> None:
        if not self.state.running_jobs and not self.written:
            return  # none ran after the last run, and this one found nothing new
        if not self.written and len(self.seen_running) >= self.state.running_jobs:
            return  # as many running as the mirror has were on the page read, unchanged: those
        running = set(_running(self.tenant).values_list("job_id", flat=True)) - self.seen
        if not running:
            return
        walk = self.walk(JobFilters(status=TRANSFERRING), settings.SYNC_PAGE_SIZE)
        still_running: set[str] = set()
        for jobs in walk.pages():
            self.observe(jobs, timezone.now())
            still_running.update(job.id for job in jobs)
        self.walked(walk)
        if walk.complete:
            self.written += mirror.want_detail(self.tenant, running - still_running)

    def fetch_details(self) -> None:
        if not self.state.details_pending and not self.written:
            return  # none left by the last run, and none asked for since
        pending = (
            MirroredJob.objects.filter(tenant=self.tenant, needs_detail=True)
            .alive()
            .values_list("job_id", flat=True)
        )
        for job_id in list(pending[: settings.SYNC_DETAILS_PER_RUN]):
            fetched_at = timezone.now()
            try:
                job = self.meter.call(self.client.get_job, job_id)
            except drs.JobNotFound:
                self.result.deleted += mirror.mark_deleted(self.tenant, job_id, fetched_at)
                continue
            except drs.InvalidJobId as error:
                mirror.skip_detail(self.tenant, job_id, str(error))
                continue
            mirror.saw_detail(self.tenant, job_id, job, fetched_at)
            self.result.details += 1
            self.written += 1

    def backfill_details(self) -> None:
        """The details of jobs we have none of (new jobs first, then older ones, newest first)
        with what the budget has left over: it stops while a quarter of the minute's permits
        (at least two) are still free, for the next runs' list calls. The rows without a
        snapshot are the to-do list, so a restart resumes where it stopped."""
        if settings.SYNC_BACKFILL_PER_RUN <= 0 or self.result.incomplete:
            return  # off, or the walk has jobs to reach first
        if self.state.last_success_at is None:
            return  # the first sync is a bulk load of the list; the back-fill starts next run
        if not self.written and self.state.details_known >= self.state.jobs_total:
            return  # every job's detail is known, and no job is new since the last run
        limit = max(int(settings.SYNC_CALLS_PER_MINUTE), 1)
        reserve = max(limit // 4, 2)
        todo = (
            MirroredJob.objects.filter(tenant=self.tenant, snapshot=None)
            .alive()
            .order_by("-create_time", "-id")
            .values_list("job_id", flat=True)
        )
        for job_id in list(todo[: settings.SYNC_BACKFILL_PER_RUN]):
            if permits_in_use(self.tenant.pk) >= limit - reserve:
                self.result.backfill_paused = True
                return
            fetched_at = timezone.now()
            try:
                job = self.meter.call(self.client.get_job, job_id)
            except BudgetSpent:
                self.result.backfill_paused = True
                return
            except drs.JobNotFound:
                self.result.deleted += mirror.mark_deleted(self.tenant, job_id, fetched_at)
                continue
            except drs.InvalidJobId as error:
                mirror.skip_detail(self.tenant, job_id, str(error))
                continue
            mirror.saw_detail(self.tenant, job_id, job, fetched_at)
            self.result.backfilled += 1
            self.written += 1

    # -- bookkeeping ----------------------------------------------------------------------

    def _finish(self, clock: float, error: drs.DrsError | None) -> None:
        now = timezone.now()
        state = self.state
        if self.written or self.result.details or self.result.deleted:
            mine = MirroredJob.objects.filter(tenant=self.tenant)
            running = _running(self.tenant).count()
            total = mine.alive().count()
            pending = mine.alive().filter(needs_detail=True).count()
            known = mine.alive().exclude(snapshot=None).count()
        else:  # nothing written: the counts the last run left stand
            running, total, pending = state.running_jobs, state.jobs_total, state.details_pending
            known = state.details_known
        self.running_jobs = running
        update = {
            "last_finished_at": now,
            "last_duration_ms": int((time.monotonic() - clock) * 1000),
            "last_calls": self.meter.calls,
            "last_note": self.result.note[:200],
            "running_jobs": running,
            "jobs_total": total,
            "details_known": known,
            "details_pending": pending,
        }
        for name, count in (
            ("calls_ok_total", self.meter.ok),
            ("calls_failed_total", self.meter.failed),
            ("calls_throttled_total", self.meter.throttled),
        ):
            if count:
                update[name] = F(name) + count
        if error is None and (self.result.ok or self.result.note):
            update |= {
                "error": "",
                "error_code": "",
                "error_request_id": "",
                "failing_since": None,
                "consecutive_failures": 0,
                "next_due_at": now + timedelta(seconds=schedule.interval(running)),
            }
            if self.result.ok:
                update["last_success_at"] = self.started
            update |= self._cursor(now)
        else:
            failures = state.consecutive_failures + 1
            throttled = isinstance(error, drs.Throttled)
            update |= {
                "error": self.result.error or _("The sync failed."),
                "error_code": (error.error_code if error else "")[:64],
                "error_request_id": (error.request_id if error else "")[:64],
                "failing_since": state.failing_since or self.started,
                "consecutive_failures": failures,
                "next_due_at": now + schedule.backoff(failures, throttled, running),
            }
            update |= self._cursor(now, failed=True)
        if (
            self.written
            or self.result.details
            or self.result.deleted
            or _shown_change(state, update)
        ):
            update["changed_at"] = now
        TenantSyncState.objects.filter(pk=state.pk).update(**update)

    def _cursor(self, now: datetime, *, failed: bool = False) -> dict:
        """The full walk's cursor: cleared when it completed, kept where it stopped otherwise
        (then the next run is due soon, unless this one failed and backs off)."""
        walk = self.full_walk
        if walk is None:
            return {}
        if walk.complete:
            return {
                "walk_started_at": None,
                "walk_offset": 0,
                "walk_count": None,
                "last_full_walk_at": self.walk_started_at,
            }
        if walk.incomplete_reason == REPEATED:
            return {"walk_started_at": None, "walk_offset": 0, "walk_count": None}
        cursor = {
            "walk_started_at": self.walk_started_at,
            "walk_offset": walk.offset,
            "walk_count": walk.count,
        }
        if not failed:
            cursor["next_due_at"] = now + timedelta(seconds=settings.SYNC_RUNNING_SECONDS)
        return cursor


SHOWN = ("running_jobs", "jobs_total", "last_note", "error", "error_code", "failing_since")


def _shown_change(state: TenantSyncState, update: dict) -> bool:
    """Whether a run's bookkeeping changes what the fleet pages show of the tenant (its ages
    in "synced N s ago" tick in the browser)."""
    return any(name in update and update[name] != getattr(state, name) for name in SHOWN)


def _start(tenant: Tenant, now: datetime) -> TenantSyncState:
    """The tenant's sync state, marked started (and due again after the idle interval, should
    this run die) in one statement; created on the first run."""
    due = now + timedelta(seconds=settings.SYNC_IDLE_SECONDS)
    table = TenantSyncState._meta.db_table
    columns = [f.column for f in TenantSyncState._meta.concrete_fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_started_at = %s, next_due_at = %s "  # noqa: S608
            f"WHERE tenant_id = %s RETURNING {', '.join(columns)}",
            [now, due, tenant.pk],
        )
        found = cursor.fetchone()
    if found is not None:
        values = []
        for model_field, value in zip(TenantSyncState._meta.concrete_fields, found, strict=True):
            column = model_field.get_col(table)
            converters = connection.ops.get_db_converters(column)
            for convert in converters + column.get_db_converters(connection):
                value = convert(value, column, connection)
            values.append(value)
        names = [f.attname for f in TenantSyncState._meta.concrete_fields]
        return TenantSyncState.from_db(connection.alias, names, values)
    state, _created = TenantSyncState.objects.update_or_create(
        tenant=tenant, defaults={"last_started_at": now, "next_due_at": due}
    )
    return state


def _full_walk_due(state: TenantSyncState, now: datetime) -> bool:
    last = state.last_full_walk_at
    return last is None or (now - last).total_seconds() >= settings.SYNC_FULL_WALK_SECONDS


def _running(tenant: Tenant):
    return MirroredJob.objects.filter(tenant=tenant).running()


def _client(tenant: Tenant) -> DrsClient:
    """The tenant's client without retries inside a call: every HTTP request is one permit of
    the budget, and the next run is the retry."""
    client = client_for(tenant, tenant.language)
    client.transport.settings = dataclasses.replace(client.transport.settings, max_attempts=1)
    return client


def flag_stalls(tenant: Tenant, now: datetime) -> int:
    """Flag running jobs past their threshold, once each, with a "stalled" event."""
    typical = Typical()
    flagged = 0
    rows = list(_running(tenant).filter(stalled_at=None, create_time__isnull=False))
    typical.prefetch(rows)  # remembered for a few minutes: most runs read none
    for row in rows:
        progress = typical.progress(row, now)
        if progress is None or not progress.overdue:
            continue
        detail = {
            "typical_seconds": progress.typical.total_seconds() if progress.typical else None,
            "threshold_seconds": progress.threshold.total_seconds(),
        }
        occurred_at = row.create_time + progress.threshold
        flagged += mirror.mark_stalled(tenant, row, now, occurred_at, detail)
    return flagged
