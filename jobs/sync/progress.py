"""Progress of running jobs: the typical duration of comparable finished jobs (same tenant,
same size class, `jobs.mirror.models.size_class`), an estimated finish, and the "running longer
than usual" threshold."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

SAMPLES = 50
MIN_SAMPLES = 3
PAGE_CACHE_SECONDS = 300


def _cache_key(key: tuple[int, int | None]) -> str:
    return f"typical:{key[0]}:{key[1]}"


def _samples(tenant_id: int, size: int):
    """The tenant's latest successful jobs of this size class: (tenant, size, start, end)."""
    from jobs.mirror.models import MirroredJob

    return (
        MirroredJob.objects.filter(
            tenant_id=tenant_id,
            size_class=size,
            create_time__isnull=False,
            finish_time__isnull=False,
        )
        .succeeded()
        .order_by("-create_time")
        .values_list("tenant_id", "size_class", "create_time", "finish_time")[:SAMPLES]
    )


def _ranked_samples(keys: list[tuple[int, int]]):
    """`_samples` of every key in one query, for a database without LIMIT inside UNION."""
    from django.db.models import F, Q, Window
    from django.db.models.functions import RowNumber

    from jobs.mirror.models import MirroredJob

    which = Q()
    for tenant_id, size in keys:
        which |= Q(tenant_id=tenant_id, size_class=size)
    return (
        MirroredJob.objects.filter(which, create_time__isnull=False, finish_time__isnull=False)
        .succeeded()
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("tenant_id"), F("size_class")],
                order_by=F("create_time").desc(),
            )
        )
        .filter(rank__lte=SAMPLES)
        .values_list("tenant_id", "size_class", "create_time", "finish_time")
    )


def _median(rows) -> float | None:
    durations = [(end - start).total_seconds() for _t, _s, start, end in rows if end >= start]
    return statistics.median(durations) if len(durations) >= MIN_SAMPLES else None


def typical_seconds(tenant_id: int, size: int | None) -> float | None:
    """The median duration of the tenant's latest successful jobs of this size class."""
    return None if size is None else _median(_samples(tenant_id, size))


def threshold_seconds(typical: float | None) -> float:
    """Default max(2 h, 3 × typical)."""
    floor = float(settings.SYNC_STALL_MIN_SECONDS)
    return max(floor, settings.SYNC_STALL_FACTOR * typical) if typical else floor


@dataclass(frozen=True)
class Progress:
    elapsed: timedelta
    typical: timedelta | None
    estimated_finish: datetime | None
    threshold: timedelta
    overdue: bool


class Typical:
    """Typical durations per (tenant, size class), computed once per page or sync run."""

    def __init__(self) -> None:
        self._known: dict[tuple[int, int | None], float | None] = {}

    def seconds(self, tenant_id: int, size: int | None) -> float | None:
        key = (tenant_id, size)
        if key not in self._known:
            self._known[key] = typical_seconds(tenant_id, size)
        return self._known[key]

    def prefetch(self, rows) -> None:
        """The typical durations for these rows' running jobs, for a page: the ones the cache
        remembers (PAGE_CACHE_SECONDS: an estimate may lag a finished job by that much), the
        rest in one query: a UNION ALL of the per-class queries where the database allows it,
        else a window over the classes' successful jobs."""
        from django.core.cache import cache
        from django.db import connection

        keys = {(r.tenant_id, r.size_class) for r in rows if r.is_running}
        keys = [k for k in keys if k not in self._known and k[1] is not None]
        remembered = cache.get_many([_cache_key(key) for key in keys]) if keys else {}
        self._known.update(
            (k, remembered[_cache_key(k)]) for k in keys if _cache_key(k) in remembered
        )
        keys = [k for k in keys if k not in self._known]
        if not keys:
            return
        if len(keys) >= 2 and connection.features.supports_slicing_ordering_in_compound:
            first, *rest = (_samples(*key) for key in keys)
            samples = first.union(*rest, all=True)
        else:
            samples = _ranked_samples(keys)
        found: dict[tuple[int, int], list] = {key: [] for key in keys}
        for row in samples:
            found[(row[0], row[1])].append(row)
        medians = {key: _median(rows) for key, rows in found.items()}
        self._known.update(medians)
        cache.set_many({_cache_key(k): v for k, v in medians.items()}, PAGE_CACHE_SECONDS)

    def progress(self, row, now: datetime) -> Progress | None:
        """None for finished jobs and jobs without a create time."""
        if not row.is_running or row.create_time is None:
            return None
        typical = self.seconds(row.tenant_id, row.size_class)
        elapsed = max(now - row.create_time, timedelta(0))
        threshold = timedelta(seconds=threshold_seconds(typical))
        return Progress(
            elapsed=elapsed,
            typical=timedelta(seconds=typical) if typical else None,
            estimated_finish=row.create_time + timedelta(seconds=typical) if typical else None,
            threshold=threshold,
            overdue=elapsed > threshold,
        )
