"""Many jobs at once: a tenant's list, per-tenant statistics, failures grouped by cause.

Every upstream read goes through `single_flight`, so many viewers cost one call per interval.
Results are `Outcome`s, not exceptions, so one broken tenant never breaks a page about many.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import drs
from .drs import JobFilters, JobPage, JobSummary
from .drs.models import FAILED, PRECHECK_FAILED, SUCCESS, TRANSFERRING
from .hints import Hint, hints_for, signature
from .job_state import interval, lock_seconds
from .models import Tenant
from .single_flight import Outcome, single_flight
from .tenant_client import client_for

T = TypeVar("T")
PAGE_SIZE = 1000  # the documented list has no maximum; Terraform asks for 2000
RECENT_DAYS = 14
MAX_RECENT_PAGES = 5
MAX_FAILED = 1000
STATUSES = (TRANSFERRING, SUCCESS, FAILED, PRECHECK_FAILED)


class Budget:
    """A time limit for a whole unit of work made of several calls."""

    def __init__(self, seconds: float) -> None:
        self.ends = time.monotonic() + seconds

    def client(self, tenant: Tenant, language: str) -> drs.DrsClient:
        remaining = self.ends - time.monotonic()
        if remaining <= 0.05:
            raise drs.UpstreamUnavailable(_("the time for this tenant ran out"))
        return client_for(tenant, language, deadline=remaining)


def _shared(key: str, ttl: float, compute: Callable[[], T], force: bool = False) -> Outcome[T]:
    return single_flight(key, ttl, compute, lock_seconds=lock_seconds(), force=force)


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:24]


# -- one tenant's list -------------------------------------------------------------------------


def tenant_jobs(
    tenant: Tenant,
    filters: JobFilters,
    *,
    limit: int,
    offset: int,
    language: str,
    force: bool = False,
) -> Outcome[JobPage]:
    """One page of the list. Raises InvalidFilter (before any call) for bad filters."""
    params = filters.params()
    key = f"list:{tenant.pk}:{language}:{_digest(params, limit, offset)}"

    def compute() -> JobPage:
        return client_for(tenant, language).list_jobs(filters, limit=limit, offset=offset)

    return _shared(key, interval(), compute, force=force)


def all_jobs(tenant: Tenant, filters: JobFilters, language: str, cap: int) -> Iterable[JobSummary]:
    """Every matching job, page by page (for exports); stops at `cap`."""
    for n, job in enumerate(client_for(tenant, language).iter_jobs(filters, page_size=PAGE_SIZE)):
        if n >= cap:
            return
        yield job


# -- statistics per tenant (the overview) ------------------------------------------------------


@dataclass(frozen=True)
class Day:
    day: date
    success: int = 0
    failed: int = 0
    running: int = 0

    @property
    def total(self) -> int:
        return self.success + self.failed + self.running


@dataclass(frozen=True)
class TenantStats:
    counts: dict[str, int]
    total: int
    running: tuple[JobSummary, ...]
    failed_last_7_days: tuple[JobSummary, ...]
    days: tuple[Day, ...]
    recent_truncated: bool = False

    @property
    def success_rate(self) -> float | None:
        """Share of finished jobs that succeeded, over the last 7 days."""
        week = self.days[-7:]
        finished = sum(d.success + d.failed for d in week)
        return None if finished == 0 else sum(d.success for d in week) / finished


def tenant_stats(tenant: Tenant, language: str, budget_seconds: float) -> Outcome[TenantStats]:
    def compute() -> TenantStats:
        budget = Budget(budget_seconds)
        counts = {}
        running: tuple[JobSummary, ...] = ()
        for status in STATUSES:
            limit = 50 if status == TRANSFERRING else 1
            page = budget.client(tenant, language).list_jobs(JobFilters(status=status), limit=limit)
            counts[status] = page.count
            if status == TRANSFERRING:
                running = page.jobs
        recent, total, truncated = _recent_jobs(tenant, language, budget)
        since = timezone.now() - timedelta(days=7)
        failed = tuple(
            j
            for j in recent
            if j.status in (FAILED, PRECHECK_FAILED) and j.create_time and j.create_time >= since
        )
        return TenantStats(counts, total, running, failed, _per_day(recent), truncated)

    ttl = settings.OVERVIEW_REFRESH_SECONDS
    return _shared(f"stats:{tenant.pk}:{language}", ttl, compute)


def _recent_jobs(
    tenant: Tenant, language: str, budget: Budget
) -> tuple[list[JobSummary], int, bool]:
    """Jobs created in the last RECENT_DAYS, newest first, walking pages as needed; with the
    tenant's total job count (the unfiltered list's `count`) and whether the walk was cut short."""
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    newest_first = JobFilters(sort_key="created_at", sort_dir="desc")
    jobs: dict[str, JobSummary] = {}
    total = 0
    for n in range(MAX_RECENT_PAGES):
        page = budget.client(tenant, language).list_jobs(
            newest_first, limit=PAGE_SIZE, offset=n * PAGE_SIZE
        )
        total = total or page.count
        for job in page.jobs:
            if job.create_time and job.create_time >= since:
                jobs.setdefault(job.id, job)
        oldest = page.jobs[-1].create_time if page.jobs else None
        if len(page.jobs) < PAGE_SIZE or (oldest and oldest < since):
            return list(jobs.values()), total, False
    return list(jobs.values()), total, True


def _per_day(jobs: Iterable[JobSummary]) -> tuple[Day, ...]:
    today = timezone.localdate()
    counts: dict[date, Counter] = defaultdict(Counter)
    for job in jobs:
        if job.create_time is None:
            continue
        day = timezone.localtime(job.create_time).date()
        outcome = {SUCCESS: "success", FAILED: "failed", PRECHECK_FAILED: "failed"}.get(
            job.status, "running"
        )
        counts[day][outcome] += 1
    days = [today - timedelta(days=n) for n in range(RECENT_DAYS - 1, -1, -1)]
    return tuple(Day(d, **counts[d]) for d in days)


def in_parallel(
    tenants: list[Tenant], work: Callable[[Tenant], Outcome[T]], language: str
) -> list[tuple[Tenant, Outcome[T]]]:
    """Run `work` for each tenant, a few at a time; a tenant that overruns gets an error."""
    timeout = settings.OVERVIEW_TENANT_TIMEOUT

    def run(tenant: Tenant) -> Outcome[T]:
        with translation.override(language):  # threads do not inherit the request's language
            return work(tenant)

    pool = ThreadPoolExecutor(max_workers=settings.OVERVIEW_CONCURRENCY)
    try:
        futures = [(tenant, pool.submit(run, tenant)) for tenant in tenants]
        waves = -(-len(tenants) // settings.OVERVIEW_CONCURRENCY)
        ends = time.monotonic() + timeout * max(waves, 1) + 1
        results = []
        for tenant, future in futures:
            try:
                results.append((tenant, future.result(timeout=max(ends - time.monotonic(), 0))))
            except FutureTimeout:
                late = drs.UpstreamUnavailable(_("no answer within %(s)d seconds") % {"s": timeout})
                results.append((tenant, Outcome(None, late, timezone.now())))
        return results
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


# -- failures grouped by cause (triage) --------------------------------------------------------


def failed_jobs(tenant: Tenant, language: str, budget_seconds: float) -> Outcome[tuple]:
    def compute() -> tuple[JobSummary, ...]:
        budget = Budget(budget_seconds)
        found: list[JobSummary] = []
        for status in (FAILED, PRECHECK_FAILED):
            offset = 0
            while len(found) < MAX_FAILED:
                page = budget.client(tenant, language).list_jobs(
                    JobFilters(status=status, sort_key="created_at", sort_dir="desc"),
                    limit=PAGE_SIZE,
                    offset=offset,
                )
                found.extend(page.jobs)
                offset += len(page.jobs)
                if len(page.jobs) < PAGE_SIZE:
                    break
        return tuple(found)

    ttl = settings.OVERVIEW_REFRESH_SECONDS
    return _shared(f"failed:{tenant.pk}:{language}", ttl, compute)


@dataclass
class Group:
    signature: str
    jobs: list[tuple[Tenant, JobSummary]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.jobs)

    @property
    def first_seen(self) -> datetime | None:
        times = [j.create_time for _, j in self.jobs if j.create_time]
        return min(times) if times else None

    @property
    def last_seen(self) -> datetime | None:
        times = [j.create_time for _, j in self.jobs if j.create_time]
        return max(times) if times else None

    @property
    def hints(self) -> list[Hint]:
        return hints_for(self.jobs[0][1].error_log) if self.jobs else []

    @property
    def example(self) -> str:
        return self.jobs[0][1].error_log if self.jobs else ""


def group_failures(
    results: list[tuple[Tenant, Outcome[tuple]]], since: datetime | None
) -> list[Group]:
    groups: dict[str, Group] = {}
    for tenant, fetched in results:
        for job in fetched.value or ():
            if since and (job.create_time is None or job.create_time < since):
                continue
            key = signature(job.error_log) or _("(no error log)")
            groups.setdefault(key, Group(key)).jobs.append((tenant, job))
    for group in groups.values():
        group.jobs.sort(key=lambda pair: pair[1].create_time or datetime.min.replace(tzinfo=UTC),
                        reverse=True)  # fmt: skip
    return sorted(groups.values(), key=lambda g: (-g.count, g.signature))
