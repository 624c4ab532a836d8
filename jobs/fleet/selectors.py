"""Reads over the job mirror for the fleet pages: a tenant's list, per-tenant rows for the
overview, failures grouped by cause. Database queries only (never DRS, never a write): the
background sync (`jobs.sync`) keeps the mirror fresh. What alive, running and failed mean is
the mirror's (`MirroredJobQuerySet`); turning rows into export dicts is `jobs.fleet.serialize`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber, TruncDate
from django.utils import timezone

from jobs import drs
from jobs.drs.models import TRANSFERRING
from jobs.hints import Hint, hints_for
from jobs.mirror import rollups
from jobs.mirror.models import (
    FAILED_STATUSES,
    SUCCESS,
    TERMINAL_STATUSES,
    JobDay,
    MirroredJob,
    TenantSyncState,
)
from jobs.sync.progress import Typical
from jobs.tenants.models import Tenant

RECENT_DAYS = 14
MAX_GROUPS = 50  # failure causes shown on the page, largest first; exports have them all
GROUP_JOBS = 25  # newest jobs shown per cause (the page's; exports have them all)
SORTS = {"created_at": "create_time", "name": "name", "description": "description"}


def mirror(tenants: Iterable[Tenant]) -> QuerySet[MirroredJob]:
    """The tenants' jobs that DRS still has."""
    return MirroredJob.objects.filter(tenant__in=_scope(tenants)).alive()


def _scope(tenants: Iterable[Tenant]) -> QuerySet[Tenant] | list[Tenant]:
    """What `tenant__in` takes: a query as it is (one subquery however many tenants), anything
    else as a list."""
    return tenants if isinstance(tenants, QuerySet) else list(tenants)


# -- sync freshness, per tenant -------------------------------------------------------------


@dataclass(frozen=True)
class Freshness:
    """How fresh a tenant's mirror is, and why not when its sync fails."""

    tenant: Tenant
    state: TenantSyncState | None
    now: datetime

    @property
    def synced_at(self) -> datetime | None:
        return self.state.last_success_at if self.state else None

    @property
    def age_seconds(self) -> int | None:
        at = self.synced_at
        return None if at is None else max(int((self.now - at).total_seconds()), 0)

    @property
    def failing(self) -> bool:
        return bool(self.state and self.state.failing_since)


def freshness(tenants: Iterable[Tenant], now: datetime | None = None) -> dict[int, Freshness]:
    now = now or timezone.now()
    tenants = _scope(tenants)
    states = {s.tenant_id: s for s in TenantSyncState.objects.filter(tenant__in=tenants)}
    return {t.pk: Freshness(t, states.get(t.pk), now) for t in tenants}


def sync_problems(tenants: Iterable[Tenant]) -> list[Freshness]:
    """The tenants whose sync is failing or left a note, by name: the banners of a page over
    many tenants (one query, whatever their number when `tenants` is a query)."""
    now = timezone.now()
    states = (
        TenantSyncState.objects.filter(tenant__in=tenants)
        .filter(Q(failing_since__isnull=False) | ~Q(last_note=""))
        .select_related("tenant")
        .order_by("tenant__name")
    )
    return [Freshness(state.tenant, state, now) for state in states]


# -- one tenant's list ----------------------------------------------------------------------


@dataclass(frozen=True)
class ListQuery:
    status: str = ""
    name: str = ""
    created_from: datetime | None = None
    completed_from: datetime | None = None
    sort: str = "created_at"
    descending: bool = True
    limit: int = 25
    offset: int = 0


def tenant_jobs(tenant: Tenant, query: ListQuery) -> QuerySet[MirroredJob]:
    rows = mirror([tenant])
    if query.status:
        rows = rows.filter(status=drs.normalise_status(query.status))
    if query.name:
        rows = rows.filter(name__icontains=query.name)
    if query.created_from:
        rows = rows.filter(create_time__gte=query.created_from)
    if query.completed_from:
        rows = rows.filter(finish_time__gte=query.completed_from)
    column = SORTS.get(query.sort, "create_time")
    order = f"-{column}" if query.descending else column
    return rows.order_by(order, "-job_id" if query.descending else "job_id")


def with_progress(rows: Iterable[MirroredJob], now: datetime) -> list[MirroredJob]:
    """Rows with `.progress` (typical duration, estimated finish, overdue) for running jobs."""
    typical = Typical()
    rows = list(rows)
    typical.prefetch(rows)
    for row in rows:
        row.progress = typical.progress(row, now)
    return rows


# -- the overview: one row per tenant -------------------------------------------------------


@dataclass
class TenantRow:
    tenant: Tenant
    fresh: Freshness
    total: int = 0
    running: int = 0
    stalled: int = 0
    failed_7d: int = 0
    succeeded_7d: int = 0
    longest: MirroredJob | None = None  # loaded for the rows shown (`with_longest`)
    started: datetime | None = None  # the longest running job's start, for every row

    @property
    def success_rate(self) -> float | None:
        finished = self.failed_7d + self.succeeded_7d
        return None if finished == 0 else self.succeeded_7d / finished

    @property
    def longest_elapsed(self) -> timedelta | None:
        if self.longest:
            return self.longest.duration(self.fresh.now)
        return max(self.fresh.now - self.started, timedelta(0)) if self.started else None


OVERVIEW_SORTS = {
    "name": lambda r: r.tenant.name.lower(),
    "running": lambda r: r.running,
    "failed": lambda r: r.failed_7d,
    "rate": lambda r: -1 if r.success_rate is None else r.success_rate,
    "longest": lambda r: r.longest_elapsed or timedelta(0),
    "synced": lambda r: r.fresh.age_seconds if r.fresh.age_seconds is not None else 10**9,
}


def running(tenants: Iterable[Tenant]) -> QuerySet[MirroredJob]:
    """The tenants' running jobs (the `mirror_unfinished` index)."""
    return MirroredJob.objects.filter(tenant__in=_scope(tenants)).running()


def overview(tenants: list[Tenant], sort: str = "name", descending: bool = False) -> list:
    """Each tenant's job count as its last sync counted it; the last week's outcomes from the
    rollups (`finished_since`) and the running jobs in grouped queries over an index
    (`mirror_unfinished`)."""
    now = timezone.now()
    week = now - timedelta(days=7)
    fresh = freshness(tenants, now)
    rows = {t.pk: TenantRow(t, fresh[t.pk]) for t in tenants}
    for row in rows.values():
        row.total = row.fresh.state.jobs_total if row.fresh.state else 0
    for tenant_id, status, n in finished_since(tenants, week):
        row = rows[tenant_id]
        if status == SUCCESS:
            row.succeeded_7d += n
        else:
            row.failed_7d += n
    started = {}
    for item in (
        running(tenants)
        .values("tenant_id")
        .annotate(
            n=Count("*"),
            stalled=Count("stalled_at"),  # of running jobs: the stalled ones
            started=Min("create_time", filter=Q(status=TRANSFERRING)),
        )
        .order_by()
    ):
        row = rows[item["tenant_id"]]
        row.running, row.stalled = item["n"], item["stalled"]
        if item["started"]:
            started[item["tenant_id"]] = item["started"]
    for tenant_id, at in started.items():
        rows[tenant_id].started = at
    ordered = sorted(rows.values(), key=OVERVIEW_SORTS.get(sort, OVERVIEW_SORTS["name"]))
    return ordered[::-1] if descending else ordered


def totals(tenants: Iterable[Tenant]) -> dict:
    """What `overview`'s rows add up to, in aggregates over all these tenants (no row per
    tenant): tenants, jobs as their last syncs counted them, running and stalled now, the last
    week's failed jobs and success rate."""
    tenants = _scope(tenants)
    week = timezone.now() - timedelta(days=7)
    finished = {SUCCESS: 0, "failed": 0}
    for _tenant_id, status, n in finished_since(tenants, week):
        finished[SUCCESS if status == SUCCESS else "failed"] += n
    now_running = running(tenants).aggregate(n=Count("*"), stalled=Count("stalled_at"))
    jobs = TenantSyncState.objects.filter(tenant__in=tenants).aggregate(n=Sum("jobs_total"))
    done = finished[SUCCESS] + finished["failed"]
    return {
        "tenants": len(tenants) if isinstance(tenants, list) else tenants.count(),
        "total": jobs["n"] or 0,
        "running": now_running["n"],
        "stalled": now_running["stalled"],
        "failed_7d": finished["failed"],
        "success_rate": finished[SUCCESS] / done if done else None,
    }


def failing(tenants: Iterable[Tenant], limit: int) -> tuple[list[Freshness], int]:
    """Up to `limit` tenants whose sync is failing (by name), and how many are."""
    states = TenantSyncState.objects.filter(tenant__in=_scope(tenants), failing_since__isnull=False)
    now = timezone.now()
    shown = states.select_related("tenant").order_by("tenant__name")[:limit]
    return [Freshness(state.tenant, state, now) for state in shown], states.count()


def with_longest(rows: list[TenantRow]) -> list[TenantRow]:
    """The longest running job of each of these rows (the page's, not every tenant's: one
    query whose size is the page's)."""
    started = [row for row in rows if row.started and row.longest is None]
    if started:
        query = Q()
        for row in started:
            query |= Q(tenant_id=row.tenant.pk, create_time=row.started)
        by_tenant = {row.tenant.pk: row for row in started}
        for job in running([row.tenant for row in started]).filter(query, status=TRANSFERRING):
            by_tenant[job.tenant_id].longest = job
    return rows


def matching(rows: list[TenantRow], text: str) -> list[TenantRow]:
    """The rows whose tenant's name or slug contains `text` (any case); all for no text."""
    text = text.strip().casefold()
    if not text:
        return rows
    return [r for r in rows if text in r.tenant.name.casefold() or text in r.tenant.slug]


def finished_since(tenants: list[Tenant], since: datetime) -> list[tuple[int, str, int]]:
    """(tenant id, status, jobs) of the alive jobs created from `since` on with a terminal
    status (SUCCESS or failed): the rollups' whole UTC days after `since`'s, and the rows of
    the rest of its day (the `mirror_recent` index)."""
    day = rollups.day_of(since)
    midnight = datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)
    whole = (
        JobDay.objects.filter(
            tenant__in=tenants, deleted=False, day__gt=day, status__in=TERMINAL_STATUSES
        )
        .values("tenant_id", "status")
        .annotate(n=Sum("jobs"))
        .values_list("tenant_id", "status", "n")
        .order_by()
    )
    edge = (
        mirror(tenants)
        .filter(create_time__gte=since, create_time__lt=midnight, status__in=TERMINAL_STATUSES)
        .values("tenant_id", "status")
        .annotate(n=Count("*"))
        .values_list("tenant_id", "status", "n")
        .order_by()
    )
    return [item for item in [*whole, *edge] if item[2]]


@dataclass(frozen=True)
class Day:
    day: date
    success: int = 0
    failed: int = 0
    running: int = 0

    @property
    def total(self) -> int:
        return self.success + self.failed + self.running


def per_day(tenants: list[Tenant], days: int = RECENT_DAYS) -> list[Day]:
    """Jobs created per day (in the user's zone) over the last `days`, by outcome: from the
    rollups (`JobDay`) when the zone's days are UTC days, else from the rows."""
    today = timezone.localdate()
    start = datetime.combine(
        today - timedelta(days=days - 1), datetime.min.time(), timezone.get_current_timezone()
    )
    counts: dict[date, dict[str, int]] = {}
    zone = timezone.get_current_timezone()
    if rollups.utc_days(zone, start, start + timedelta(days=days)):
        rows = (  # the rollups' days are the viewer's
            JobDay.objects.filter(tenant__in=tenants, deleted=False, day__gte=start.date())
            .values("day", "status")
            .annotate(n=Sum("jobs"))
            .values_list("day", "status", "n")
            .order_by()
        )
    else:
        rows = (
            mirror(tenants)
            .filter(create_time__gte=start)
            .values("status", day=TruncDate("create_time", tzinfo=zone))
            .annotate(n=Count("*"))
            .values_list("day", "status", "n")
            .order_by()
        )
    for day, status, n in rows:
        kind = "success" if status == SUCCESS else "running"
        kind = "failed" if status in FAILED_STATUSES else kind
        counts.setdefault(day, {}).setdefault(kind, 0)
        counts[day][kind] += n
    return [
        Day(d, **counts.get(d, {}))
        for d in (today - timedelta(days=n) for n in range(days - 1, -1, -1))
    ]


RECENT_FINISH = timedelta(hours=1)
RECENT_FINISH_CREATED = timedelta(days=7)  # bounds the scan to the `mirror_recent` index


def finished_recently(tenants: list[Tenant], limit: int = 10) -> list[MirroredJob]:
    """Jobs that ended in the last hour, newest end first (beside "Running now": a job that
    ends does not vanish from the overview). Jobs created more than a week before are left out."""
    now = timezone.now()
    return list(
        mirror(tenants)
        .filter(
            create_time__gte=now - RECENT_FINISH_CREATED,
            finish_time__gte=now - RECENT_FINISH,
            status__in=TERMINAL_STATUSES,
        )
        .select_related("tenant")
        .order_by("-finish_time")[:limit]
    )


def running_jobs(tenants: list[Tenant], limit: int = 50) -> list[MirroredJob]:
    rows = running(tenants).select_related("tenant").order_by("create_time")[:limit]
    return with_progress(rows, timezone.now())


# -- failures grouped by cause --------------------------------------------------------------


@dataclass
class Group:
    """One cause: counted in SQL over all its jobs; `jobs` holds the newest GROUP_JOBS (only
    for the MAX_GROUPS largest causes)."""

    signature: str
    key: str  # the stored signature ("" for jobs without one)
    count: int
    first_seen: datetime | None
    last_seen: datetime | None
    jobs: list[MirroredJob] = field(default_factory=list)

    @property
    def hints(self) -> list[Hint]:
        return hints_for(self.jobs[0].error_log[:EXCERPT_SCAN]) if self.jobs else []

    @property
    def example(self) -> str:
        """An excerpt of the newest job's error log: at most EXCERPT_MAX characters (the job's
        page links the whole log)."""
        text = self.jobs[0].error_log if self.jobs else ""
        return text if len(text) <= EXCERPT_MAX else text[: EXCERPT_MAX - 1] + "…"


EXCERPT_MAX = 4000  # characters of upstream error text on the failures page, per group
EXCERPT_SCAN = 64 * 1024  # characters of an error log the hints look at


def failed(tenants: list[Tenant], since: datetime | None) -> QuerySet[MirroredJob]:
    rows = mirror(tenants).failed()
    return rows.filter(create_time__gte=since) if since else rows


def failures(tenants: list[Tenant], since: datetime | None, no_log: str) -> list[Group]:
    """Every cause with its count, largest first (the `mirror_failures` index); the newest jobs
    of the MAX_GROUPS largest."""
    rows = failed(tenants, since)
    stats = (
        rows.values("failure_signature")
        .annotate(n=Count("*"), first=Min("create_time"), last=Max("create_time"))
        .order_by()
    )
    groups = [
        Group(
            s["failure_signature"] or no_log, s["failure_signature"], s["n"], s["first"], s["last"]
        )
        for s in stats
    ]
    groups.sort(key=lambda g: (-g.count, g.signature))
    shown = {group.key: group for group in groups[:MAX_GROUPS]}
    for job in _newest_per_cause(rows, list(shown)):
        shown[job.failure_signature].jobs.append(job)
    return groups


def _newest_per_cause(rows: QuerySet[MirroredJob], keys: list[str]) -> list[MirroredJob]:
    """Each cause's newest GROUP_JOBS among `rows`: on PostgreSQL one UNION ALL of a short
    index scan per cause (`mirror_failures`), then the rows by id; elsewhere one window
    query (it ranks every failed job)."""
    from django.db import connection

    if not keys:
        return []
    newest = [F("create_time").desc(nulls_last=True), F("pk").desc()]
    if connection.features.supports_slicing_ordering_in_compound and len(keys) > 1:
        in_index_order = [F("create_time").desc(nulls_first=True), F("pk").desc()]
        first, *rest = (
            rows.filter(failure_signature=key)
            .order_by(*in_index_order)
            .values_list("pk")[:GROUP_JOBS]
            for key in keys
        )
        ids = [pk for (pk,) in first.union(*rest, all=True)]
        found = MirroredJob.objects.filter(pk__in=ids).select_related("tenant")
        oldest = datetime.min.replace(tzinfo=UTC)
        return sorted(found, key=lambda j: (j.create_time or oldest, j.pk), reverse=True)
    return list(
        rows.filter(failure_signature__in=keys)
        .annotate(rank=Window(RowNumber(), partition_by=F("failure_signature"), order_by=newest))
        .filter(rank__lte=GROUP_JOBS)
        .select_related("tenant")
        .order_by("failure_signature", "rank")
    )


def group_jobs(rows: QuerySet[MirroredJob], group: Group) -> QuerySet[MirroredJob]:
    """A cause's jobs among `rows` (from `failed`), newest first."""
    return (
        rows.filter(failure_signature=group.key).select_related("tenant").order_by("-create_time")
    )
