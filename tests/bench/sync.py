"""The mirror at fleet scale on the production stack (PostgreSQL, Redis, Celery): `rows()` runs
each measure in its own process and returns the table rows for `make bench`.

    python -m tests.bench.sync first             # first full sync of a 10,000-job tenant
    python -m tests.bench.sync steady [T R S]    # T tenants × R running jobs, S seconds

Both print JSON and expect DATABASE_URL (an empty PostgreSQL database) and REDIS_URL set, as
`rows()` does. The fleet pages over 100 × 10,000 mirror rows are `tests.bench.mirror`.
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
MIRROR_DATABASE = os.environ.get("BENCH_MIRROR_DATABASE", "drs_bench_mirror")
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


def first_full_sync() -> dict:
    from jobs.mirror.models import MirroredJob
    from jobs.sync.tenant import sync_tenant

    sim = simulator("--bulk-jobs", "10000", "--live-jobs", "0")
    try:
        tenant = make_tenant(sim, 0)
        sim.reset_counters()
        began = time.perf_counter()
        result = sync_tenant(tenant, full=True)
        seconds = time.perf_counter() - began
        upstream = sim.state()
    finally:
        sim.stop()
    return {
        "ok": result.ok,
        "complete": result.complete,
        "seconds": round(seconds, 2),
        "calls": result.calls,
        "upstream_calls": upstream["calls"],
        "details": result.details,
        "rows": MirroredJob.objects.filter(tenant=tenant).count(),
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


def _mirror_database() -> str:
    """The fleet-pages database, kept between runs (seeding 1,000,000 rows takes minutes)."""
    import psycopg
    from psycopg import conninfo

    admin = conninfo.make_conninfo(POSTGRES_URL, dbname="postgres", connect_timeout=3)
    with psycopg.connect(admin, autocommit=True) as connection:
        found = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [MIRROR_DATABASE]
        ).fetchone()
        if not found:
            connection.execute(f'CREATE DATABASE "{MIRROR_DATABASE}"')
    return f"{POSTGRES_URL.rsplit('/', 1)[0]}/{MIRROR_DATABASE}"


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


def rows() -> list[tuple[str, str]]:
    """The fleet-scale rows; "not run: …" rows when PostgreSQL or Redis is missing."""
    labels = (
        "Fleet pages, 100 tenants × 10,000 jobs in the mirror (PostgreSQL, Redis)",
        "First full sync of a 10,000-job tenant (PostgreSQL, Redis)",
        "Steady state, 100 tenants × 5 running jobs (Celery worker + beat on Redis, PostgreSQL)",
    )
    why = _reachable()
    if why:
        return [(label, f"not run: {why}; `bash .ci/services` starts both") for label in labels]
    out = []
    try:
        env = production_env(_mirror_database())
        subprocess.run(
            [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        pages = _run(env, "-m", "tests.bench.mirror")
        out.append(
            (
                f"{labels[0]}: median server time of 5 (test client, DEBUG off); goal overview "
                "≤ 150 ms, list ≤ 50 ms, API jobs page of 100 ≤ 30 ms, 0 upstream calls",
                f"overview {pages['overview_ms']:.0f} ms, failures (7 days) "
                f"{pages['failures_ms']:.0f} ms, tenant list {pages['list_ms']:.0f} ms, "
                f"list FAILED page 9 {pages['list_failed_page_9_ms']:.0f} ms, "
                f"API jobs page of 100 {pages['api_jobs_100_ms']:.0f} ms "
                f"(FAILED, page 5: {pages['api_jobs_failed_page_5_ms']:.0f} ms); "
                f"{pages['upstream_calls']} upstream calls",
            )
        )
    except (RuntimeError, subprocess.SubprocessError) as error:
        out.append((labels[0], f"not run: {str(error).splitlines()[0]}"))
    try:
        first = _in_new_database("first")
        out.append(
            (
                f"{labels[1]}: one `sync_tenant(full=True)`, simulator in its own process",
                f"{first['seconds']:.1f} s, {first['calls']} upstream calls "
                f"({first['details']} details), {first['rows']} rows"
                + ("" if first["ok"] and first["complete"] else f"; incomplete: {first['note']}"),
            )
        )
    except (RuntimeError, subprocess.SubprocessError) as error:
        out.append((labels[1], f"not run: {str(error).splitlines()[0]}"))
    try:
        s = _in_new_database("steady")
        out.append(
            (
                f"{labels[2]}: {s['seconds']} s window after a {WARMUP_SECONDS} s warm-up, worker "
                f"concurrency {s['concurrency']}, one simulator project shared by all tenants; "
                f"goal lag p95 ≤ {2 * s['interval']} s",
                f"{s['calls_per_minute']} upstream calls per minute "
                f"({s['calls_per_minute'] / s['tenants']:.1f} per tenant); sync lag p50 "
                f"{s['lag_p50']:.1f} s, p95 {s['lag_p95']:.1f} s, max {s['lag_max']:.1f} s; "
                f"{s['failing']} tenants failing",
            )
        )
    except (RuntimeError, subprocess.SubprocessError) as error:
        out.append((labels[2], f"not run: {str(error).splitlines()[0]}"))
    return out


def main() -> None:
    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    django.setup()
    what, *args = sys.argv[1:] or ["first"]
    figures = first_full_sync() if what == "first" else steady(*(int(a) for a in args))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
