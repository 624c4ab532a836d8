"""The fleet pages' figures, kept as the mirror is written: `JobDay` (jobs per tenant, UTC day,
status and deleted-or-not: counts, durations, backup bytes, restore volume of chain steps) and
`ChainDay` (databases per tenant, UTC day and state).

Called by `jobs.mirror.record` and `jobs.mirror.chains` inside the transaction that writes the
rows they sum, with each row's state before and after (`job_state`, `chain_state`): `move`
takes a batch of such pairs and writes the difference set-based, whatever the batch's size: one
INSERT of the buckets it touches (existing ones ignored) and one UPDATE adding to them; when a
job with a duration left a bucket whose longest it may have been, one read of that bucket's
rows and one UPDATE of its maximum. `rebuild` computes the same rows from the mirror rows with
the same functions, so incremental and rebuilt agree (tests/mirror/test_rollups.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Case, Q, Value, When

from jobs.mirror.models import Chain, ChainDay, ChainStep, JobDay, MirroredJob

JOB_SUMS = ("jobs", "timed", "duration_total", "total_bytes", "chain_jobs", "chain_bytes")


@dataclass(frozen=True)
class JobState:
    """One job's share of its `JobDay` row."""

    key: tuple[int, date, str, bool]  # tenant, day, status, deleted
    sums: tuple[int, ...]  # as JOB_SUMS
    duration: int | None  # seconds, when it has a create and a finish time


def day_of(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def job_state(
    tenant_id: int,
    status: str,
    create_time: datetime | None,
    finish_time: datetime | None,
    total_bytes: int | None,
    deleted: bool,
    chained: bool,
) -> JobState | None:
    """Where a job with these fields counts (None: nowhere, it has no create time)."""
    if create_time is None:
        return None
    duration = None
    if finish_time is not None:
        duration = max(int((finish_time - create_time).total_seconds()), 0)
    size = total_bytes or 0
    sums = (1, int(duration is not None), duration or 0, size, int(chained), size * chained)
    return JobState((tenant_id, day_of(create_time), status, deleted), sums, duration)


def of_row(row: MirroredJob, chained: bool) -> JobState | None:
    return job_state(
        row.tenant_id,
        row.status,
        row.create_time,
        row.finish_time,
        row.total_bytes,
        row.deleted_at is not None,
        chained,
    )


def chained_ids(pks: Iterable[int]) -> set[int]:
    """Of these mirror rows, the ones that are a step of some chain."""
    pks = [pk for pk in pks if pk is not None]
    if not pks:
        return set()
    return set(ChainStep.objects.filter(job_id__in=pks).values_list("job_id", flat=True))


def _key_q(key: tuple[int, date, str, bool]) -> Q:
    tenant_id, day, status, deleted = key
    return Q(tenant_id=tenant_id, day=day, status=status, deleted=deleted)


def move(pairs: Iterable[tuple[JobState | None, JobState | None]]) -> None:
    """Jobs moved from the first state of each pair to the second: add the difference."""
    deltas: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(JOB_SUMS))
    longest: dict[tuple, int] = {}
    left: dict[tuple, int] = {}  # a timed job left the bucket: its longest may have gone
    for before, after in pairs:
        if before == after:
            continue
        if before is not None:
            vector = deltas[before.key]
            for i, n in enumerate(before.sums):
                vector[i] -= n
            if before.duration is not None:
                left[before.key] = max(left.get(before.key, 0), before.duration)
        if after is not None:
            vector = deltas[after.key]
            for i, n in enumerate(after.sums):
                vector[i] += n
            if after.duration is not None:
                longest[after.key] = max(longest.get(after.key, 0), after.duration)
    keys = sorted(k for k, v in deltas.items() if any(v) or k in longest or k in left)
    if not keys:
        return
    JobDay.objects.bulk_create(
        [JobDay(tenant_id=k[0], day=k[1], status=k[2], deleted=k[3]) for k in keys],
        ignore_conflicts=True,
    )
    for start in range(0, len(keys), KEYS_PER_STATEMENT):
        _add(keys[start : start + KEYS_PER_STATEMENT], deltas, longest)
    stale = sorted(left)
    for start in range(0, len(stale), KEYS_PER_STATEMENT):
        _recompute_longest({k: left[k] for k in stale[start : start + KEYS_PER_STATEMENT]})


# Buckets per UPDATE: a page of jobs touches a few days, so one statement; a page spread over
# years stays within the databases' limits on parameters (SQLite's 32,766).
KEYS_PER_STATEMENT = 200


def _add(keys: list[tuple], deltas: dict[tuple, list[int]], longest: dict[tuple, int]) -> None:
    sums = {
        name: {k: deltas[k][i] for k in keys if deltas[k][i]} for i, name in enumerate(JOB_SUMS)
    }
    _add_to(JobDay, JOB_KEY, keys, sums, {k: longest[k] for k in keys if k in longest})


JOB_KEY = ("tenant_id", "day", "status", "deleted")
CHAIN_KEY = ("tenant_id", "day", "state")


def _add_to(model, columns, keys, sums: dict[str, dict], longest: dict | None = None) -> None:
    """One UPDATE of `model`'s rows with these keys (values of `columns`): each column of
    `sums` plus its delta for the row's key, `duration_max` raised to `longest`'s. Plain SQL,
    the same on SQLite and PostgreSQL: building it as Django expressions cost more CPU than
    the statement (20-30 ms a page)."""
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    match = "(" + " AND ".join(f"{ops.quote_name(c)} = %s" for c in columns) + ")"

    def key_params(key) -> list:
        return [ops.adapt_datefield_value(v) if isinstance(v, date) else v for v in key]

    sets, params = [], []
    for name, by_key in sums.items():
        if not by_key:
            continue
        column = ops.quote_name(name)
        whens = []
        for key, delta in by_key.items():
            whens.append(f"WHEN {match} THEN %s")
            params.extend([*key_params(key), delta])
        sets.append(f"{column} = {column} + CASE {' '.join(whens)} ELSE 0 END")
    if longest:
        column = ops.quote_name("duration_max")
        whens = []
        for key, value in longest.items():
            whens.append(f"WHEN {match} AND {column} < %s THEN %s")
            params.extend([*key_params(key), value, value])
        sets.append(f"{column} = CASE {' '.join(whens)} ELSE {column} END")
    if not sets:
        return
    where = " OR ".join(match for _key in keys)
    for key in keys:
        params.extend(key_params(key))
    with connection.cursor() as cursor:
        # Identifiers are the model's, quoted; every value is a parameter.
        cursor.execute(f"UPDATE {table} SET {', '.join(sets)} WHERE {where}", params)  # noqa: S608


def _recompute_longest(left: dict[tuple, int]) -> None:
    """The buckets whose longest job may have left: those whose stored maximum is not above
    what left, recomputed from their rows."""
    where = Q()
    for key in left:
        where |= _key_q(key)
    stale = [
        key
        for *key, longest in JobDay.objects.filter(where).values_list(
            "tenant_id", "day", "status", "deleted", "duration_max"
        )
        if longest <= left[tuple(key)]
    ]
    if not stale:
        return
    rows = Q()
    for tenant_id, day, status, deleted in stale:
        start = datetime.combine(day, time.min, tzinfo=UTC)
        rows |= Q(
            tenant_id=tenant_id,
            status=status,
            deleted_at__isnull=not deleted,
            create_time__gte=start,
            create_time__lt=start + timedelta(days=1),
        )
    found: dict[tuple, int] = {tuple(k): 0 for k in stale}
    for tenant_id, status, deleted_at, created, finished in MirroredJob.objects.filter(
        rows, finish_time__isnull=False
    ).values_list("tenant_id", "status", "deleted_at", "create_time", "finish_time"):
        key = (tenant_id, day_of(created), status, deleted_at is not None)
        if key in found:
            found[key] = max(found[key], max(int((finished - created).total_seconds()), 0))
    where = Q()
    for key in found:
        where |= _key_q(key)
    JobDay.objects.filter(where).update(
        duration_max=Case(*(When(_key_q(k), then=Value(v)) for k, v in found.items()))
    )


# -- chains ---------------------------------------------------------------------------------


def chain_state(chain: Chain) -> tuple[int, date, str] | None:
    """Where a chain counts in `ChainDay` (None: nowhere, it has no `since`)."""
    if chain.since is None or not chain.state:
        return None
    return (chain.tenant_id, day_of(chain.since), chain.state)


def move_chains(pairs: Iterable[tuple[tuple | None, tuple | None]]) -> None:
    """Chains moved from the first key of each pair to the second (None: not counted)."""
    deltas: dict[tuple, int] = defaultdict(int)
    for before, after in pairs:
        if before == after:
            continue
        if before is not None:
            deltas[before] -= 1
        if after is not None:
            deltas[after] += 1
    deltas = {k: n for k, n in deltas.items() if n}
    if not deltas:
        return
    ChainDay.objects.bulk_create(
        [ChainDay(tenant_id=k[0], day=k[1], state=k[2]) for k in deltas], ignore_conflicts=True
    )
    _add_to(ChainDay, CHAIN_KEY, sorted(deltas), {"chains": deltas})


# -- rebuilding -----------------------------------------------------------------------------


@dataclass
class Rebuilt:
    tenant_id: int
    jobs: int = 0
    job_days: int = 0
    chains: int = 0
    chain_days: int = 0
    changed: bool = False  # the rows differ from what was stored


def rebuild(tenant_id: int) -> Rebuilt:
    """The tenant's rollups recomputed from its mirror rows and chains, in one transaction
    (the mirror rows locked, so no write slips between the read and the replacement)."""
    done = Rebuilt(tenant_id)
    with transaction.atomic():
        list(MirroredJob.objects.select_for_update().filter(tenant_id=tenant_id).values_list("pk"))
        job_days, chain_days, done.jobs, done.chains = computed(
            tenant_id, MirroredJob, ChainStep, Chain
        )
        job_days = [JobDay(**fields) for fields in job_days]
        chain_days = [ChainDay(**fields) for fields in chain_days]
        done.changed = _stored(tenant_id) != (_job_rows(job_days), _chain_rows(chain_days))
        JobDay.objects.filter(tenant_id=tenant_id).delete()
        ChainDay.objects.filter(tenant_id=tenant_id).delete()
        JobDay.objects.bulk_create(job_days, batch_size=2000)
        ChainDay.objects.bulk_create(chain_days, batch_size=2000)
        done.job_days, done.chain_days = len(job_days), len(chain_days)
    return done


def computed(tenant_id: int, jobs_model, steps_model, chains_model):
    """The tenant's `JobDay` and `ChainDay` rows (as field dicts) from its mirror rows and
    chains, with how many of each were read. The models are passed in, so migration 0014
    fills the tables with the same code."""
    chained = set(
        steps_model.objects.filter(chain__tenant_id=tenant_id).values_list("job_id", flat=True)
    )
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0] * (len(JOB_SUMS) + 1))
    fields = ("pk", "status", "create_time", "finish_time", "total_bytes", "deleted_at")
    jobs = chains = 0
    rows = jobs_model.objects.filter(tenant_id=tenant_id).values_list(*fields).order_by()
    for pk, status, created, finished, size, deleted_at in rows.iterator(2000):
        jobs += 1
        state = job_state(
            tenant_id, status, created, finished, size, deleted_at is not None, pk in chained
        )
        if state is None:
            continue
        vector = sums[state.key]
        for i, n in enumerate(state.sums):
            vector[i] += n
        vector[-1] = max(vector[-1], state.duration or 0)
    job_days = [
        {
            "tenant_id": k[0],
            "day": k[1],
            "status": k[2],
            "deleted": k[3],
            "duration_max": v[-1],
            **dict(zip(JOB_SUMS, v[:-1], strict=True)),
        }
        for k, v in sums.items()
    ]
    counts: dict[tuple, int] = defaultdict(int)
    for chain in chains_model.objects.filter(tenant_id=tenant_id).only(
        "tenant_id", "since", "state"
    ):
        chains += 1
        key = chain_state(chain)
        if key is not None:
            counts[key] += 1
    chain_days = [
        {"tenant_id": k[0], "day": k[1], "state": k[2], "chains": n} for k, n in counts.items()
    ]
    return job_days, chain_days, jobs, chains


JOB_FIELDS = ("tenant_id", "day", "status", "deleted", *JOB_SUMS, "duration_max")
CHAIN_FIELDS = ("tenant_id", "day", "state", "chains")


def _job_rows(rows: Iterable[JobDay]) -> set[tuple]:
    return {tuple(getattr(r, f) for f in JOB_FIELDS) for r in rows if r.jobs}


def _chain_rows(rows: Iterable[ChainDay]) -> set[tuple]:
    return {tuple(getattr(r, f) for f in CHAIN_FIELDS) for r in rows if r.chains}


def _stored(tenant_id: int) -> tuple[set[tuple], set[tuple]]:
    """The tenant's stored rollups as comparable rows (empty buckets left out)."""
    return (
        set(JobDay.objects.filter(tenant_id=tenant_id).exclude(jobs=0).values_list(*JOB_FIELDS)),
        set(
            ChainDay.objects.filter(tenant_id=tenant_id)
            .exclude(chains=0)
            .values_list(*CHAIN_FIELDS)
        ),
    )


def stored(tenant_id: int) -> tuple[set[tuple], set[tuple]]:
    """What the tenant's rollups hold now (for checks and tests): its non-empty rows."""
    return _stored(tenant_id)


def expected(tenant_id: int) -> tuple[set[tuple], set[tuple]]:
    """What they would hold if rebuilt now, in the same form as `stored`; writes nothing."""
    job_days, chain_days, _jobs, _chains = computed(tenant_id, MirroredJob, ChainStep, Chain)
    return (
        _job_rows(JobDay(**fields) for fields in job_days),
        _chain_rows(ChainDay(**fields) for fields in chain_days),
    )


# -- reading --------------------------------------------------------------------------------

UTC_NAMES = frozenset(
    {"UTC", "Etc/UTC", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu", "UCT", "Etc/UCT"}
    | {"GMT", "Etc/GMT", "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0", "GMT0", "GMT+0", "GMT-0"}
    | {"Greenwich", "Etc/Greenwich"}
)
CHECKED_DAYS = 400  # longer spans: only a zone that is UTC by name


def utc_days(zone, start: datetime, end: datetime) -> bool:
    """Do the local days of `zone` from `start` to `end` (local midnights) fall on UTC days,
    so the rollups' UTC days answer for them exactly? True in UTC, and in a zone whose offset
    is 0 at every midnight between (London in winter); readers in other zones read the rows."""
    if start.astimezone(UTC).time() != time.min or end.astimezone(UTC).time() != time.min:
        return False
    if str(zone) in UTC_NAMES:
        return True
    first, last = start.astimezone(UTC).date(), end.astimezone(UTC).date()
    if (last - first).days > CHECKED_DAYS:
        return False
    day = first
    while day <= last:
        if datetime.combine(day, time.min, tzinfo=zone).utcoffset():
            return False
        day += timedelta(days=1)
    return True
