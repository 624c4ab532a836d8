"""The mirror at fleet scale on the production stack (PostgreSQL, Redis, Celery): `rows()` runs
each measure in its own process and returns the table rows for `make bench`.

    python -m tests.bench.sync first             # first full sync of a 10,000-job tenant
    python -m tests.bench.sync steady [T R S]    # T tenants × R running jobs, S seconds

Both print JSON and expect DATABASE_URL (an empty PostgreSQL database) and REDIS_URL set, as
`rows()` does. The fleet pages over 100 × 10,000 and 1,000 × 1,000 are `tests.bench.pages`.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.stack import (
    POSTGRES_URL,
    PYTHON,
    ROOT,
    RemoteSimulator,
    _drop_postgres_database,
    _postgres_database,
    _stop,
    free_port,
)

REDIS_URL = os.environ.get("BENCH_SYNC_REDIS_URL", "redis://127.0.0.1:6379/5")
STEADY_SECONDS = int(os.environ.get("BENCH_STEADY_SECONDS", "240"))
WARMUP_SECONDS = 30  # after every tenant's first sync, before the counted window
CELERY = str(Path(PYTHON).with_name("celery"))


def simulator(*args: str) -> RemoteSimulator:
    """The simulator in its own process with any CLI options (RemoteSimulator's wait and stop)."""
    sim = RemoteSimulator.__new__(RemoteSimulator)
    port = free_port()
    sim.url = f"http://127.0.0.1:{port}"
    sim.process = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "jobs.simulator",
            "--port",
            str(port),
            "--quiet",
            "--no-seed-faults",
            "--no-keep-running",
            *args,
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    for _ in range(1200):  # seeding 10,000 jobs takes a few seconds
        with contextlib.suppress(OSError):
            sim.calls()
            return sim
        if sim.process.poll() is not None:
            break
        time.sleep(0.05)
    sim.stop()
    raise RuntimeError("the simulator did not start")


def make_tenant(sim: RemoteSimulator, n: int):
    from jobs.simulator import SimulatorConfig
    from jobs.tenants.models import Tenant

    config = SimulatorConfig()
    access_key, secret_key = next(iter(config.access_keys.items()))
    tenant = Tenant(
        name=f"Sync {n:03d}",
        slug=f"sync-{n:03d}",
        region="ap-southeast-3",
        project_id=config.project_id,
        drs_endpoint=sim.url,
        iam_endpoint=sim.url,
        auth_method="aksk",
        access_key=access_key,
    )
    tenant.secret_key = secret_key
    tenant.save()
    return tenant


class Statements:
    """Counts the SQL statements run on the default connection (no DEBUG needed)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        if os.environ.get("BENCH_SHOW_SQL"):
            print(sql[:160], file=sys.stderr)
        return execute(sql, params, many, context)


def bulk_floor(tenant) -> float:
    """Seconds to `bulk_create` the same rows (mirror rows and one history row each, pages of
    SYNC_PAGE_SIZE) under a second tenant: the floor a first sync is measured against."""
    from django.conf import settings
    from django.db import transaction

    from jobs.mirror.models import JobStatusChange, MirroredJob

    copy = make_tenant_like(tenant)
    rows = list(MirroredJob.objects.filter(tenant=tenant).order_by("pk"))
    page = settings.SYNC_PAGE_SIZE
    began = time.perf_counter()
    for start in range(0, len(rows), page):
        with transaction.atomic():
            fresh = []
            for row in rows[start : start + page]:
                row.pk, row.tenant = None, copy
                fresh.append(row)
            MirroredJob.objects.bulk_create(fresh)
            JobStatusChange.objects.bulk_create(
                [JobStatusChange(job=r, status=r.status, seen_at=r.first_seen_at) for r in fresh]
            )
    return time.perf_counter() - began


def make_tenant_like(tenant):
    from jobs.tenants.models import Tenant

    copy = Tenant.objects.get(pk=tenant.pk)
    copy.pk, copy.name, copy.slug = None, f"{tenant.name} floor", f"{tenant.slug}-floor"
    copy.save()
    return copy


def first_full_sync(jobs: int = 10000, max_pages: int | None = None) -> dict:
    """A first full sync of a `jobs`-job tenant; with `max_pages` (a walk longer than one run)
    the runs until it is complete, with what each said; then the bulk_create floor."""
    from django.conf import settings
    from django.db import connection

    from jobs.mirror import record
    from jobs.mirror.models import MirroredJob
    from jobs.sync.tenant import sync_tenant

    if max_pages:  # runs end at the page cap; the call budget (a minute's wait) is left out
        settings.SYNC_MAX_PAGES = max_pages
        settings.SYNC_CALLS_PER_MINUTE = 10**6
    sim = simulator("--bulk-jobs", str(jobs), "--live-jobs", "0")
    try:
        tenant = make_tenant(sim, 0)
        sim.reset_counters()
        statements = Statements()
        runs = []
        writing = [0.0]
        observe = record.observe_counted

        def timed(*args, **kwargs):  # the mirror's share of the time (the rest: DRS, parsing)
            began = time.perf_counter()
            try:
                return observe(*args, **kwargs)
            finally:
                writing[0] += time.perf_counter() - began

        record.observe_counted = timed
        began = time.perf_counter()
        with connection.execute_wrapper(statements):
            while not (runs and runs[-1].ok) and len(runs) < 50:
                runs.append(sync_tenant(tenant, full=True if not runs else None))
        seconds = time.perf_counter() - began
        upstream = sim.state()
    finally:
        record.observe_counted = observe
        sim.stop()
    result = runs[-1]
    rows = MirroredJob.objects.filter(tenant=tenant).count()
    floor = bulk_floor(tenant)
    return {
        "ok": result.ok,
        "complete": result.complete,
        "jobs": jobs,
        "runs": len(runs),
        "notes": [r.note for r in runs if r.note][:3],
        "seconds": round(seconds, 2),
        "statements": statements.count,
        "floor_seconds": round(floor, 2),
        "mirror_write_seconds": round(writing[0], 2),
        "calls": sum(r.calls for r in runs),
        "upstream_calls": upstream["calls"],
        "details": sum(r.details for r in runs),
        "rows": rows,
        "note": result.note or result.error,
    }


def steady(tenants: int = 100, running: int = 5, seconds: int = STEADY_SECONDS) -> dict:
    """`tenants` tenants of one simulator project with `running` jobs running for the whole run,
    synced by a Celery worker and beat; the window starts once every tenant has synced."""
    from django.conf import settings
    from django.db.models import F, Sum
    from django.utils import timezone

    from jobs.mirror.models import TenantSyncState

    sim = simulator("--bulk-jobs", "200", "--live-jobs", "0")
    workdir = Path(tempfile.mkdtemp(prefix="drs-bench-sync-"))
    processes: list[subprocess.Popen] = []
    try:
        for _ in range(running):
            sim.add_live_job(seconds + 3600)
        for n in range(tenants):
            make_tenant(sim, n)
        log = (workdir / "celery.log").open("wb")
        concurrency = os.environ.get("SYNC_CONCURRENCY", "4")
        for args in (
            ["worker", "--concurrency", concurrency, "--loglevel=WARNING"],
            ["beat", "--loglevel=WARNING", f"--schedule={workdir / 'beat'}"],
        ):
            processes.append(
                subprocess.Popen(
                    [CELERY, "-A", "dashboard", *args],
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        states = TenantSyncState.objects.all()
        deadline = time.monotonic() + 300
        while states.filter(last_success_at__isnull=False).count() < tenants:
            if time.monotonic() > deadline:
                raise RuntimeError("not every tenant synced within 300 s")
            time.sleep(1)
        time.sleep(WARMUP_SECONDS)
        sim.reset_counters()
        calls = Sum(F("calls_ok_total") + F("calls_failed_total") + F("calls_throttled_total"))
        calls_before = states.aggregate(n=calls)["n"]
        lags: list[float] = []
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            now = timezone.now()
            lags += [
                (now - at).total_seconds()
                for at in states.values_list("last_success_at", flat=True)
            ]
            time.sleep(1)
        minutes = (time.monotonic() - started) / 60
        upstream = sim.calls()
        calls_after = states.aggregate(n=calls)["n"]
        failing = states.exclude(failing_since=None).count()
    finally:
        for process in processes:
            _stop(process, signal.SIGTERM, wait=20)
        sim.stop()
    lags.sort()
    return {
        "tenants": tenants,
        "running": running,
        "seconds": seconds,
        "interval": settings.SYNC_RUNNING_SECONDS,
        "concurrency": int(concurrency),
        "calls_per_minute": round(upstream / minutes),
        "sync_calls": calls_after - calls_before,
        "lag_p50": round(statistics.median(lags), 1),
        "lag_p95": round(lags[int(len(lags) * 0.95)], 1),
        "lag_max": round(lags[-1], 1),
        "failing": failing,
    }


def idle_runs(tenants: int = 20, rounds: int = 9) -> dict:
    """What a tenant run that finds nothing new costs: `tenants` synced tenants of 200 jobs,
    each run `rounds` times more; worker CPU (this thread) and statements per run. The detail
    back-fill is off, as it is for a tenant whose details are all known (else it spends the
    minute's call budget on the 200 details first, and an idle run finds the budget spent)."""
    from django.db import connection
    from django.test import override_settings

    from jobs.sync.tenant import sync_tenant

    sim = simulator("--bulk-jobs", "200", "--live-jobs", "0")
    settings_off = override_settings(SYNC_BACKFILL_PER_RUN=0)
    settings_off.enable()
    try:
        made = [make_tenant(sim, n) for n in range(tenants)]
        for tenant in made:
            first = sync_tenant(tenant, full=True)
            assert first.ok, first
            sync_tenant(tenant)
        cpu, wall, queries = [], [], []
        for _ in range(rounds):
            for tenant in made:
                statements = Statements()
                began, clock = time.thread_time(), time.perf_counter()
                with connection.execute_wrapper(statements):
                    result = sync_tenant(tenant)
                cpu.append((time.thread_time() - began) * 1000)
                wall.append((time.perf_counter() - clock) * 1000)
                queries.append(statements.count)
                assert result.ok and result.calls == 1, result
    finally:
        settings_off.disable()
        sim.stop()

    def spread(values):
        return [round(min(values), 2), round(statistics.median(values), 2), round(max(values), 2)]

    return {
        "runs": len(cpu),
        "cpu_ms": spread(cpu),
        "wall_ms": spread(wall),
        "queries": spread(queries),
        "load": os.getloadavg()[0],
    }


# -- make bench ------------------------------------------------------------------------------


def production_env(database_url: str) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DASHBOARD_CREDENTIAL_KEYS": Fernet.generate_key().decode(),
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_HSTS_SECONDS": "0",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "CELERY_QUEUE": f"bench-sync-{os.getpid()}",
        "LOG_LEVEL": "WARNING",
        "DRS_ALLOW_CUSTOM_ENDPOINTS": "1",
    }
    for name in ("DASHBOARD_CREDENTIAL_KEYS_FILE", "DJANGO_SECRET_KEY_FILE"):
        env.pop(name, None)
    return env


def _run(env: dict, *args: str, timeout: int = 1800) -> dict:
    done = subprocess.run(
        [PYTHON, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _in_new_database(*args: str) -> dict:
    """A run in a new database, with an empty Redis db: the call budget's counters and locks
    are keyed by tenant id, and a new database reuses the ids of the last one."""
    import redis

    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).flushdb()
    created = _postgres_database()
    if created is None:
        raise RuntimeError(f"PostgreSQL is not reachable at {POSTGRES_URL}")
    url, name = created
    try:
        env = production_env(url)
        subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        return _run(env, "-m", "tests.bench.sync", *args)
    finally:
        _drop_postgres_database(name)


def _reachable() -> str:
    """Why the stack cannot run, or ""."""
    import psycopg
    import redis
    from psycopg import conninfo

    try:
        psycopg.connect(
            conninfo.make_conninfo(POSTGRES_URL, dbname="postgres", connect_timeout=3)
        ).close()
    except Exception as error:
        return f"PostgreSQL is not reachable at {POSTGRES_URL} ({str(error).splitlines()[0]})"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        return f"Redis is not reachable at {REDIS_URL} ({error})"
    return ""


def _first(first: dict) -> str:
    return (
        f"{first['seconds']:.1f} s ({first['seconds'] / first['floor_seconds']:.2f} × the "
        f"floor of {first['floor_seconds']:.1f} s; writing the mirror "
        f"{first['mirror_write_seconds']:.1f} s), {first['statements']} SQL statements, "
        f"{first['calls']} upstream calls ({first['details']} details), {first['rows']} rows"
        + ("" if first["ok"] and first["complete"] else f"; incomplete: {first['note']}")
    )


def _steady(s: dict) -> str:
    return (
        f"{s['calls_per_minute']} upstream calls per minute "
        f"({s['calls_per_minute'] / s['tenants']:.1f} per tenant); sync lag p50 "
        f"{s['lag_p50']:.1f} s, p95 {s['lag_p95']:.1f} s, max {s['lag_max']:.1f} s; "
        f"{s['failing']} tenants failing; window {s['seconds']} s after a {WARMUP_SECONDS} s "
        f"warm-up, worker concurrency {s['concurrency']}, interval {s['interval']} s"
    )


def _big(big: dict) -> str:
    return (
        f"{'complete' if big['ok'] else 'NOT complete'} after {big['runs']} runs, "
        f"{big['rows']} rows, {big['seconds']:.0f} s in all; the first run said: "
        f"{(big['notes'] or ['-'])[0]}"
    )


def _idle(idle: dict) -> str:
    cpu, wall, queries = idle["cpu_ms"], idle["wall_ms"], idle["queries"]
    return (
        f"worker CPU {cpu[0]:.1f} / {cpu[1]:.1f} / {cpu[2]:.1f} ms (min / median / max), "
        f"wall {wall[1]:.1f} ms median, {queries[2]} queries at most, load {idle['load']:.1f}"
    )


ROWS = (
    (
        "First full sync of a 10,000-job tenant (PostgreSQL, Redis): one "
        "`sync_tenant(full=True)`, simulator in its own process; floor: `bulk_create` of the "
        "same rows and history in the same run; goal ≤ 2 × floor",
        ("first",),
        _first,
    ),
    (
        "Steady state, 100 tenants × 5 running jobs (Celery worker + beat on Redis, PostgreSQL), "
        "one simulator project shared by all tenants; goal lag p95 ≤ 2 intervals",
        ("steady",),
        _steady,
    ),
    (
        "First sync of a 100,000-job tenant, 30 pages of 1,000 per run (PostgreSQL, Redis): "
        "`sync_tenant` run after run until one says ok (the call budget's minute between runs "
        "left out)",
        ("first", "100000", "30"),
        _big,
    ),
    (
        "A tenant run that finds nothing new, 20 tenants × 9 rounds (PostgreSQL, Redis), one "
        "list call each; goal ≤ 5 ms worker CPU, ≤ 3 queries",
        ("idle", "20", "9"),
        _idle,
    ),
)


def rows() -> list[tuple[str, str]]:
    """The sync's rows, each in a new database; "not run: …" when PostgreSQL or Redis is
    missing or a run fails."""
    why = _reachable()
    if why:
        return [(label, f"not run: {why}; `bash .ci/services` starts both") for label, *_ in ROWS]
    out = []
    for label, args, shown in ROWS:
        try:
            out.append((label, shown(_in_new_database(*args))))
        except (RuntimeError, subprocess.SubprocessError) as error:
            out.append((label, f"not run: {str(error).splitlines()[0]}"))
    return out


def main() -> None:
    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    django.setup()
    what, *args = sys.argv[1:] or ["first"]
    if what == "first":
        figures = first_full_sync(*(int(a) for a in args))
    elif what == "idle":
        figures = idle_runs(*(int(a) for a in args))
    else:
        figures = steady(*(int(a) for a in args))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
