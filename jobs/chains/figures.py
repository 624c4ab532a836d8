"""Migrations across tenants, for a period: databases by state per tenant, databases brought
online per week, restore volume per day (from the backup files' sizes: an estimate), and the
ages of the databases awaiting their next backup. Database queries only.

`tenants` is best a query (`visible_tenants(user)`): each figure filters on it as one subquery,
where a list of a thousand tenants becomes a thousand parameters in every statement."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jobs.chains.present import STALLED, STATE_LABELS, STATES
from jobs.drs.models import EARLIEST, LATEST
from jobs.mirror import rollups
from jobs.mirror.models import Chain, ChainDay, ChainStep, JobDay, MirroredJob
from jobs.tenants.models import Tenant

Tenants = QuerySet[Tenant] | list[Tenant]

PERIODS = ("today", "week", "month", "all", "custom")
AGE_BUCKETS = (
    (timedelta(days=1), _("under 1 day")),
    (timedelta(days=3), _("1–3 days")),
    (timedelta(days=7), _("3–7 days")),
    (None, _("over 7 days")),
)
MAX_CUSTOM_DAYS = 366


@dataclass(frozen=True)
class Period:
    name: str
    start: datetime
    end: datetime

    @property
    def days(self) -> int:
        return max((self.end - self.start).days, 1)


def all_time() -> Period:
    return Period("all", EARLIEST, LATEST)


def period(name: str, start: str = "", end: str = "", now: datetime | None = None) -> Period:
    """today, this week (from Monday), this month, or a custom range of dates (inclusive, at
    most a year); anything unreadable gives this week."""
    now = timezone.localtime(now or timezone.now())
    midnight = datetime.combine(now.date(), time.min, tzinfo=now.tzinfo)
    tomorrow = midnight + timedelta(days=1)
    if name == "today":
        return Period(name, midnight, tomorrow)
    if name == "all":
        return all_time()
    if name == "month":
        return Period(name, midnight.replace(day=1), tomorrow)
    if name == "custom":
        first, last = _date(start), _date(end)
        if first and last and first <= last and (last - first).days <= MAX_CUSTOM_DAYS:
            begin = datetime.combine(first, time.min, tzinfo=now.tzinfo)
            return Period(
                name, begin, datetime.combine(last, time.min, tzinfo=now.tzinfo) + timedelta(days=1)
            )
    return Period("week", midnight - timedelta(days=now.weekday()), tomorrow)


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()[:10])
    except (ValueError, AttributeError):
        return None


@dataclass
class TenantRow:
    tenant: Tenant
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def cells(self) -> list[tuple[str, str, int]]:
        """(state, its label, databases) in the order of STATES."""
        return [(state, STATE_LABELS[state], self.counts[state]) for state in STATES]


def _thresholds(tenants: Tenants) -> set[int]:
    if isinstance(tenants, QuerySet):
        return set(tenants.order_by().values_list("awaiting_threshold_hours", flat=True).distinct())
    return {t.awaiting_threshold_hours for t in tenants}


def _stalled_filter(hours: set[int], now: datetime) -> Q:
    """Awaiting past its tenant's threshold: one condition per distinct threshold, on the
    tenant's column (no list of tenant ids, however many tenants)."""
    condition = Q(pk__in=[])
    for h in hours:
        condition |= Q(tenant__awaiting_threshold_hours=h, since__lt=now - timedelta(hours=h))
    return Q(state=Chain.State.AWAITING) & condition


def _counts(tenants: Tenants, hours: set[int], span: Period, now: datetime, per_tenant: bool):
    """{tenant id (None for all together): {state: databases whose state began in the period}}."""
    keys = ["tenant_id"] if per_tenant else []
    chains = Chain.objects.filter(tenant__in=tenants, since__gte=span.start, since__lt=span.end)
    if _counted_from_rollups(span):
        counted = ChainDay.objects.filter(tenant__in=tenants, chains__gt=0)
        if span.name != "all":
            counted = counted.filter(day__gte=span.start.date(), day__lt=span.end.date())
        counted = counted.values(*keys, "state").annotate(n=Sum("chains"))
    else:
        counted = chains.values(*keys, "state").annotate(n=Count("*"))
    out: dict[int | None, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATES, 0))
    for item in counted.order_by():
        out[item.get("tenant_id")][item["state"]] += item["n"]
    stalled = chains.filter(_stalled_filter(hours, now))
    if per_tenant:
        stalled = stalled.values("tenant_id").annotate(n=Count("*")).order_by()
    else:
        stalled = [stalled.aggregate(n=Count("*"))]
    for item in stalled:
        counts = out[item.get("tenant_id")]
        counts[STALLED] += item["n"]
        counts["awaiting"] -= item["n"]
    return out


def by_tenant(tenants: Tenants, span: Period, now: datetime | None = None) -> list[TenantRow]:
    """Per tenant, the databases whose state began in the period, by state."""
    found = _counts(tenants, _thresholds(tenants), span, now or timezone.now(), per_tenant=True)
    return [TenantRow(t, found[t.pk]) for t in tenants]


def state_totals(tenants: Tenants, span: Period, now: datetime | None = None) -> dict[str, int]:
    """The databases of all these tenants by state, and their total: grouped by state only, so
    a thousand tenants cost what one does."""
    found = _counts(tenants, _thresholds(tenants), span, now or timezone.now(), per_tenant=False)
    out = dict(found[None])
    out["total"] = sum(out[s] for s in STATES)
    return out


@dataclass
class Bar:
    label: str
    value: int
    text: str = ""
    share: float = 0.0  # of the largest bar, 0–1


def _bars(pairs: list[tuple[str, int]], fmt=str) -> list[Bar]:
    peak = max((v for _l, v in pairs), default=0) or 1
    return [Bar(label, value, fmt(value), value / peak) for label, value in pairs]


MAX_DAYS, MAX_WEEKS = 366, 104  # bars a chart shows at most: the latest ones


def _shown(span: Period, earliest: date | None, most_days: int) -> tuple[date, date]:
    """The days a chart covers: the period, from its first data (an "all time" period starts
    in 1970), up to today, at most the latest `most_days`."""
    last = min(span.end.date(), timezone.localdate() + timedelta(days=1))
    first = max(span.start.date(), earliest or last - timedelta(days=1))
    return max(first, last - timedelta(days=most_days)), last


def _from_rollups(span: Period) -> bool:
    """The period's days are UTC days: the rollups answer for them."""
    return rollups.utc_days(timezone.get_current_timezone(), span.start, span.end)


def _counted_from_rollups(span: Period) -> bool:
    """A count over the whole period (no per-day bars): all time in any zone, or UTC days."""
    return span.name == "all" or _from_rollups(span)


def online_per_week(tenants: Tenants, span: Period) -> list[Bar]:
    """Databases brought online per week (from Monday): the rollups (`ChainDay`) when the
    period's days are UTC days, else the chains."""
    weeks: dict[date, int] = defaultdict(int)
    if _from_rollups(span):
        days = (
            ChainDay.objects.filter(
                tenant__in=tenants,
                state=Chain.State.ONLINE,
                day__gte=span.start.date(),
                day__lt=span.end.date(),
                chains__gt=0,
            )
            .values("day")
            .annotate(n=Sum("chains"))
            .values_list("day", "n")
            .order_by()
        )
    else:
        online = Chain.objects.filter(
            tenant__in=tenants, state=Chain.State.ONLINE, since__gte=span.start, since__lt=span.end
        )
        days = [
            (day, 1)
            for day in online.annotate(day=TruncDate("since")).values_list("day", flat=True)
        ]
    for day, n in days:
        weeks[day - timedelta(days=day.weekday())] += n
    first, last = _shown(span, min(weeks, default=None), MAX_WEEKS * 7)
    monday = first - timedelta(days=first.weekday())
    pairs = []
    while monday < last:
        pairs.append((monday.isoformat(), weeks.get(monday, 0)))
        monday += timedelta(days=7)
    return _bars(pairs)


def volume_per_day(tenants: Tenants, span: Period, fmt=str) -> list[Bar]:
    """Bytes of backup files restored per day by jobs that are steps of a chain: the rollups
    (`JobDay.chain_bytes`) when the period's days are UTC days, else the jobs."""
    per_day: dict[date, int] = defaultdict(int)
    if _from_rollups(span):
        days = (
            JobDay.objects.filter(
                tenant__in=tenants,
                day__gte=span.start.date(),
                day__lt=span.end.date(),
                chain_jobs__gt=0,
            )
            .values("day")
            .annotate(n=Sum("chain_bytes"))
            .values_list("day", "n")
            .order_by()
        )
        for day, size in days:
            per_day[day] += size
    else:
        jobs = MirroredJob.objects.filter(
            tenant__in=tenants,
            create_time__gte=span.start,
            create_time__lt=span.end,
        ).filter(Exists(ChainStep.objects.filter(job=OuterRef("pk"))))
        zone = timezone.get_current_timezone()
        for created, size in jobs.values_list("create_time", "total_bytes").iterator(2000):
            per_day[created.astimezone(zone).date()] += size or 0
    first, last = _shown(span, min(per_day, default=None), MAX_DAYS)
    day, pairs = first, []
    while day < last:
        pairs.append((day.isoformat(), int(per_day.get(day) or 0)))
        day += timedelta(days=1)
    return _bars(pairs, fmt)


def awaiting_ages(tenants: Tenants, span: Period, now: datetime | None = None) -> list[Bar]:
    now = now or timezone.now()
    awaiting = Chain.objects.filter(
        tenant__in=tenants, state=Chain.State.AWAITING, since__gte=span.start, since__lt=span.end
    )
    buckets, younger = {}, None  # each bucket: younger than its limit, not the one before
    for index, (limit, _label) in enumerate(AGE_BUCKETS):
        condition = Q(since__lte=now - younger) if younger else Q()
        if limit is not None:
            condition &= Q(since__gt=now - limit)
        buckets[f"b{index}"] = Count("since", filter=condition) if condition else Count("since")
        younger = limit
    found = awaiting.aggregate(**buckets)
    counts = [found[f"b{index}"] for index in range(len(AGE_BUCKETS))]
    return _bars([(str(label), n) for (_limit, label), n in zip(AGE_BUCKETS, counts, strict=True)])
