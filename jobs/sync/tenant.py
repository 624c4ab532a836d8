"""One unit of work: sync one tenant's jobs into the mirror.

1. Walk the list newest first; an incremental run stops at the first page ending in jobs
   already known and finished, a full run (hourly) walks everything.
2. After a complete full walk, a known job that did not appear is checked (its detail).
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
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jobs import drs
from jobs.drs import DrsClient, JobFilters
from jobs.drs.models import TRANSFERRING
from jobs.mirror import record as mirror
from jobs.mirror.models import MirroredJob, TenantSyncState
from jobs.sync import schedule
from jobs.sync.budget import BudgetSpent, TenantLock, take_permit
from jobs.sync.progress import Typical
from jobs.sync.walk import REPEATED, Walk
from jobs.tenants.models import Tenant
from jobs.upstream.client import client_for
from jobs.upstream.messages import explain

log = logging.getLogger(__name__)
INCREMENTAL_PAGE = 100


@dataclass
class SyncResult:
    tenant: str
    ok: bool = False
    skipped: bool = False
    full: bool = False
    complete: bool = False
    incomplete: bool = False  # a walk stopped at SYNC_MAX_PAGES: not "ok", jobs are missing
    calls: int = 0
    seen: int = 0
    details: int = 0
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
    skipped: int = 0  # list items without a usable id, shown on the tenant's pages

    def __post_init__(self) -> None:
        self.result = SyncResult(self.tenant.slug)
        self.meter = Meter(self.tenant.pk)

    def run(self, full: bool | None) -> SyncResult:
        clock = time.monotonic()
        state = TenantSyncState.objects.get_or_create(tenant=self.tenant)[0]
        self.full = full if full is not None else _full_walk_due(state, self.started)
        self.result.full = self.full
        self.events_since = mirror.events_since(self.tenant)
        # Provisional: a run that dies is retried once the idle interval has passed.
        TenantSyncState.objects.filter(pk=state.pk).update(
            last_started_at=self.started,
            next_due_at=self.started + timedelta(seconds=settings.SYNC_IDLE_SECONDS),
        )
        error: drs.DrsError | None = None
        try:
            self.client = _client(self.tenant)
            self.walk_newest()
            self.refresh_running()
            self.fetch_details()
            self.result.ok = not self.result.incomplete
            notes = []
            if self.result.incomplete:
                notes.append(
                    _(
                        "Incomplete: the job list was longer than %(pages)d pages, the most "
                        "one run reads; jobs beyond them are not mirrored."
                    )
                    % {"pages": settings.SYNC_MAX_PAGES}
                )
            if self.skipped:
                notes.append(ngettext(
                    "%(count)d list item without a usable job id was skipped.",
                    "%(count)d list items without a usable job id were skipped.",
                    self.skipped,
                ) % {"count": self.skipped})  # fmt: skip
            self.result.note = " ".join(notes)
        except BudgetSpent:
            self.result.note = _("Call budget spent; the sync continues on its next run.")
        except drs.DrsError as exc:
            error = exc
            self.result.error = explain(exc, self.tenant)
        finally:
            self.result.calls = self.meter.calls
            self._finish(clock, error)
        if self.result.ok or self.result.incomplete:
            flag_stalls(self.tenant, timezone.now())
        return self.result

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

    def observe(self, jobs, at: datetime) -> set[str]:
        self.result.seen += len(jobs)
        self.seen.update(job.id for job in jobs)
        return mirror.observe(
            self.tenant,
            [mirror.Seen.of_summary(j) for j in jobs],
            at,
            events_since=self.events_since,
        )

    def walk_newest(self) -> None:
        limit = settings.SYNC_PAGE_SIZE if self.full else INCREMENTAL_PAGE
        walk = self.walk(JobFilters(sort_key="created_at", sort_dir="desc"), limit)
        for jobs in walk.pages():
            known_finished = self.observe(jobs, timezone.now())
            if not self.full and jobs[-1].id in known_finished:
                break  # reached the part of the list we already know
        self.result.complete = walk.complete
        self.walked(walk)
        if walk.incomplete_reason:
            log.warning("Sync of %s: walk incomplete, %s", self.tenant.slug, walk.incomplete_reason)
        if self.full and walk.complete:
            self.check_missing()
            TenantSyncState.objects.filter(tenant=self.tenant).update(
                last_full_walk_at=self.started
            )

    def check_missing(self) -> None:
        """Known jobs a complete walk did not show: deleted, or skipped as the list shifted."""
        known = MirroredJob.objects.filter(tenant=self.tenant).alive()
        missing = set(known.values_list("job_id", flat=True)) - self.seen
        if missing:
            mirror.want_detail(self.tenant, missing)

    def refresh_running(self) -> None:
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
            mirror.want_detail(self.tenant, running - still_running)

    def fetch_details(self) -> None:
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

    # -- bookkeeping ----------------------------------------------------------------------

    def _finish(self, clock: float, error: drs.DrsError | None) -> None:
        now = timezone.now()
        running = _running(self.tenant).count()
        total = MirroredJob.objects.filter(tenant=self.tenant).alive().count()
        state = TenantSyncState.objects.filter(tenant=self.tenant).first()
        if state is None:
            return  # the tenant was deleted meanwhile
        update = {
            "last_finished_at": now,
            "last_duration_ms": int((time.monotonic() - clock) * 1000),
            "last_calls": self.meter.calls,
            "last_note": self.result.note[:200],
            "running_jobs": running,
            "jobs_total": total,
            "calls_ok_total": F("calls_ok_total") + self.meter.ok,
            "calls_failed_total": F("calls_failed_total") + self.meter.failed,
            "calls_throttled_total": F("calls_throttled_total") + self.meter.throttled,
        }
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
        TenantSyncState.objects.filter(pk=state.pk).update(**update)


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
    for row in _running(tenant).filter(stalled_at=None, create_time__isnull=False):
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
