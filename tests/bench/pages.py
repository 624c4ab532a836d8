"""The fleet and migration pages on the production stack: gunicorn (dashboard/gunicorn.conf.py,
2 gthread workers, DEBUG off) + PostgreSQL + Redis serving a seeded fleet (`tests/bench/seed.py`,
TENANTS × JOBS, kept in its own database between runs) to a superuser who sees every tenant.

Each page is fetched over loopback with keep-alive in ROUNDS interleaved rounds (every page once
per round, so a noisy moment hits them all): min / median / max of gunicorn's own request time
(its access log, `%(D)s`), and of the wall time at the client.
Floors measured in the same run: the same bytes served as a static file by the same gunicorn
(whitenoise), and the one SQL statement each page's figures come down to, run straight on
PostgreSQL. Also: 200 concurrent `/healthz` probes, and the upstream calls made (none can
succeed: every tenant points at a closed port; any attempt shows as a failing page).

    python -m tests.bench.pages 1000 1000    # prints the figures as JSON
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from tests.bench.stack import POSTGRES_URL, PYTHON, REDIS_URL, ROOT, Stack

ROUNDS = int(os.environ.get("BENCH_PAGE_ROUNDS", "9"))
PROBES = 200
FLOOR_DIR = "bench-floor"  # under STATIC_ROOT while the bench runs
HTMX_FLEET = {"HX-Request": "true", "HX-Target": "fleet"}

TOKEN_SCRIPT = """
from django.contrib.auth import get_user_model
from jobs.api import tokens
user = get_user_model().objects.get(username="bench")
tokens.own(user).filter(name="bench-pages").delete()
print("TOKEN", tokens.create(user, "bench-pages", days=1)[1])
"""

FAILED = "('FAILED', 'PRECHECK FAILED')"
FLOOR_SQL = {
    "overview": (
        "SELECT tenant_id, status, SUM(jobs) FROM jobs_jobday WHERE day > CURRENT_DATE - 7 "
        "AND NOT deleted GROUP BY 1, 2"
    ),
    "failures": (
        "SELECT failure_signature, COUNT(*), MIN(create_time), MAX(create_time) "
        "FROM jobs_mirroredjob WHERE deleted_at IS NULL AND status IN " + FAILED + " "
        "AND create_time >= now() - interval '7 days' GROUP BY 1"
    ),
    "migrations": (
        "SELECT state, SUM(chains) FROM jobs_chainday WHERE chains > 0 "
        "AND day >= date_trunc('week', CURRENT_DATE) GROUP BY 1"
    ),
    "search": (
        "SELECT id, tenant_id, database FROM jobs_chain "
        "WHERE UPPER(database::text) LIKE UPPER('%DB00042%') ORDER BY since DESC LIMIT 40"
    ),
}


def database_url(tenants: int, jobs: int) -> str:
    import psycopg
    from psycopg import conninfo

    name = f"drs_bench_{tenants}x{jobs}"
    admin = conninfo.make_conninfo(POSTGRES_URL, dbname="postgres", connect_timeout=3)
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
    return f"{POSTGRES_URL.rsplit('/', 1)[0]}/{name}"


def seeded(url: str, tenants: int, jobs: int) -> dict:
    from tests.bench.sync import production_env

    done = subprocess.run(
        [PYTHON, "-m", "tests.bench.seed", str(tenants), str(jobs)],
        cwd=ROOT,
        env=production_env(url),
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode:
        raise RuntimeError(f"seeding failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def spread(samples: list[float]) -> list[float]:
    return [round(min(samples), 1), round(statistics.median(samples), 1), round(max(samples), 1)]


def sql_floor(url: str, sql: str) -> list[float]:
    import psycopg

    with psycopg.connect(url) as connection:
        connection.execute(sql).fetchall()
        samples = []
        for _ in range(ROUNDS):
            began = time.perf_counter()
            connection.execute(sql).fetchall()
            samples.append((time.perf_counter() - began) * 1000)
    return spread(samples)


def server_times(log: Path, names: list[str]) -> dict[str, list[float]]:
    """gunicorn's own time for each tagged request (access log `%(D)s`, microseconds): from
    reading the request to the response sent, without the client's share."""
    found: dict[str, list[float]] = {name: [] for name in names}
    for line in log.read_text().splitlines():
        tag, _, micros = line.rpartition(" ")
        if tag in found:
            found[tag].append(int(micros) / 1000)
    return found


def clear_shared_renders() -> None:
    """The overview's shared renders (one per view and interval): gone, so the next request
    renders as the first viewer of an interval does."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter("*overview:*"))
    if keys:
        client.delete(*keys)


def run(tenants: int, jobs: int) -> dict:
    url = database_url(tenants, jobs)
    seed = seeded(url, tenants, jobs)
    mid = f"fleet-{tenants // 2:04d}"
    log = Path(tempfile.mkdtemp(prefix="drs-pages-")) / "access.log"
    with Stack(database_url=url, user="bench", access_log=log) as stack:
        token = next(
            line.split()[1]
            for line in stack.manage("shell", "-c", TOKEN_SCRIPT).splitlines()
            if line.startswith("TOKEN ")
        )
        session = requests.Session()
        session.headers["Cookie"] = stack.cookie

        def get(path: str, headers: dict | None = None, expect: int = 200, tag: str = "-") -> bytes:
            headers = {**(headers or {}), "X-Bench-Id": tag}
            response = session.get(stack.url + path, headers=headers, timeout=60)
            if response.status_code != expect:
                raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")
            return response.content

        def unchanged() -> str:
            """The refresh URL of the overview as shown now (its version changes with the
            data, and each VERSION_SECONDS)."""
            found = re.search(r"(?:\?|&amp;)u=([0-9a-f]{16})", get("/", HTMX_FLEET).decode())
            if not found:
                raise RuntimeError("the overview carries no refresh version")
            return f"/?u={found.group(1)}"

        api = {"Authorization": f"Bearer {token}"}
        pages = {
            "overview": ("/", None, 200, None),
            "overview_first_in_interval": ("/", None, 200, clear_shared_renders),
            "overview_unchanged_refresh": (unchanged, HTMX_FLEET, 204, None),
            "failures_7d": ("/failures/?days=7", None, 200, None),
            "tenant_jobs": (f"/tenants/{mid}/jobs/?size=25", None, 200, None),
            "api_jobs_100": (f"/api/v1/tenants/{mid}/jobs?size=100", api, 200, None),
            "migrations_week": ("/migrations/?period=week", None, 200, None),
            "migrations_month": ("/migrations/?period=month", None, 200, None),
            "migrations_all": ("/migrations/?period=all", None, 200, None),
            "tenant_migrations": (f"/tenants/{mid}/migrations/", None, 200, None),
            "migration": (f"/tenants/{mid}/migrations/inst03in04/DB00003/", None, 200, None),
            "search_database": ("/jobs/lookup/?q=DB00042", None, 200, None),
            "search_partial_id": (f"/jobs/lookup/?q={tenants // 2:08x}-0007", None, 200, None),
            "search_name": ("/jobs/lookup/?q=mig-db00042-3", None, 200, None),
        }
        bodies = {
            name: get(path() if callable(path) else path, headers, status)
            for name, (path, headers, status, _) in pages.items()
        }
        floors = _static_floors(stack, bodies)
        for path, headers, status, _before in pages.values():  # the new workers, warmed
            get(path() if callable(path) else path, headers, status)
        samples: dict[str, list[float]] = {name: [] for name in [*pages, *floors]}
        for _ in range(ROUNDS):
            for name, (path, headers, status, before) in pages.items():
                if before:
                    before()
                if callable(path):
                    path = path()
                began = time.perf_counter()
                get(path, headers, status, tag=name)
                samples[name].append((time.perf_counter() - began) * 1000)
            for name, path in floors.items():
                began = time.perf_counter()
                get(path, tag=name)
                samples[name].append((time.perf_counter() - began) * 1000)
        probes = healthz(stack)
        errors, first = stack.server_errors()
    server = server_times(log, list(samples))
    shutil.rmtree(log.parent, ignore_errors=True)
    figures = {
        "tenants": tenants,
        "jobs_per_tenant": jobs,
        "seed": seed,
        "rounds": ROUNDS,
        "ms": {name: spread(values) for name, values in server.items()},
        "client_ms": {name: spread(values) for name, values in samples.items()},
        "kb": {name: round(len(body) / 1024) for name, body in bodies.items()},
        "sql_floor_ms": {name: sql_floor(url, sql) for name, sql in FLOOR_SQL.items()},
        "healthz": probes,
        "server_errors": errors,
        "load": round(os.getloadavg()[0], 1),
    }
    if errors:
        figures["first_error"] = first[:2000]
    return figures


def _static_floors(stack: Stack, bodies: dict[str, bytes]) -> dict[str, str]:
    """Each page's bytes as a file under STATIC_ROOT; gunicorn's workers reloaded (SIGHUP) so
    whitenoise serves them. {floor name: its URL}."""
    root = ROOT / "staticfiles" / FLOOR_DIR
    root.mkdir(parents=True, exist_ok=True)
    floors = {}
    for name in ("overview", "failures_7d", "migrations_week", "search_database"):
        (root / f"{name}.html").write_bytes(bodies[name])
        floors[f"static_same_bytes_{name}"] = f"/static/{FLOOR_DIR}/{name}.html"
    stack.reload_workers()  # whitenoise lists STATIC_ROOT as a worker starts
    time.sleep(1)
    return floors


def healthz(stack: Stack) -> dict:
    """PROBES probes at once, each its own connection: how many answered what."""

    def probe(_n: int) -> int:
        try:
            return requests.get(stack.url + "/healthz", timeout=30).status_code
        except requests.RequestException:
            return 0

    began = time.perf_counter()
    with ThreadPoolExecutor(PROBES) as pool:
        statuses = list(pool.map(probe, range(PROBES)))
    counted = {str(s): statuses.count(s) for s in sorted(set(statuses))}
    return {"statuses": counted, "seconds": round(time.perf_counter() - began, 2)}


SCALES = ((100, 10_000), (1000, 1000))
GOAL_MS = 100


def _cell(figures: dict, name: str) -> str:
    low, median, high = figures["ms"][name]
    digits = 1 if median < 10 else 0
    return f"{low:.{digits}f} / **{median:.{digits}f}** / {high:.{digits}f}"


def rows() -> list[tuple[str, str]]:
    """`make bench`'s rows: each scale's pages, min / median / max ms, with their floors."""
    out = []
    for tenants, jobs in SCALES:
        where = f"{tenants:,} tenants × {jobs:,} jobs (gunicorn, PostgreSQL, Redis)"
        try:
            f = run(tenants, jobs)
        except (RuntimeError, OSError, subprocess.SubprocessError) as error:
            out.append((f"Fleet and migration pages, {where}", f"not run: {error}"))
            continue
        finally:
            cleanup()
        sql, health = f["sql_floor_ms"], f["healthz"]["statuses"]
        label = f"{where}, ms min / median / max of {f['rounds']} rounds"
        out += [
            (
                f"Overview, {label}; goal ≤ {GOAL_MS}; floors: the same bytes as a static file, "
                "the rollup read",
                f"shared render {_cell(f, 'overview')}; first in its interval "
                f"{_cell(f, 'overview_first_in_interval')} ({f['kb']['overview']} KB); floors "
                f"{_cell(f, 'static_same_bytes_overview')} and {sql['overview'][1]:.1f} ms",
            ),
            (
                f"Overview refresh with nothing changed (204), {label}; goal ≤ 5",
                _cell(f, "overview_unchanged_refresh"),
            ),
            (
                f"Failures (7 days), {label}; goal ≤ {GOAL_MS}; floors as above, one statement",
                f"{_cell(f, 'failures_7d')} ({f['kb']['failures_7d']} KB); floors "
                f"{_cell(f, 'static_same_bytes_failures_7d')} and {sql['failures'][1]:.1f} ms",
            ),
            (
                f"Migrations across tenants, {label}; goal ≤ {GOAL_MS}; floors as above, the "
                "rollup read",
                f"week {_cell(f, 'migrations_week')}, month {_cell(f, 'migrations_month')}, all "
                f"time {_cell(f, 'migrations_all')}; floors "
                f"{_cell(f, 'static_same_bytes_migrations_week')} and "
                f"{sql['migrations'][1]:.1f} ms",
            ),
            (
                f"A tenant's migrations / one migration / a tenant's jobs / API jobs page of 100, "
                f"{label}",
                f"{_cell(f, 'tenant_migrations')}; {_cell(f, 'migration')}; "
                f"{_cell(f, 'tenant_jobs')}; {_cell(f, 'api_jobs_100')}",
            ),
            (
                f"Search (lookup box), {label}; goal ≤ {GOAL_MS}; floor: the database LIKE alone",
                f"database {_cell(f, 'search_database')}, partial id "
                f"{_cell(f, 'search_partial_id')}, job name {_cell(f, 'search_name')}; floors "
                f"{_cell(f, 'static_same_bytes_search_database')} and {sql['search'][1]:.1f} ms",
            ),
            (
                f"`/healthz`, {PROBES} concurrent probes, {where}; goal 0 × 503",
                f"{health}; in {f['healthz']['seconds']} s; server errors logged: "
                f"{f['server_errors']}; load {f['load']}",
            ),
        ]
    return out


def cleanup() -> None:
    shutil.rmtree(Path(ROOT / "staticfiles" / FLOOR_DIR), ignore_errors=True)


if __name__ == "__main__":
    try:
        print(json.dumps(run(*(int(a) for a in sys.argv[1:3]))))
    finally:
        cleanup()
