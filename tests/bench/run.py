"""`make bench`: figures measured on this machine against the simulator on loopback.

Writes docs/benchmarks.md and prints the same table. Run: `.venv/bin/python -m tests.bench.run`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.stack import AKSK_PROJECT_ID, ROOT, RemoteSimulator
from tests.support import EXAMPLE_ID

RUNS = int(os.environ.get("BENCH_RUNS", "300"))
STACK = os.environ.get("BENCH_STACK", "1") != "0"
FLEET = os.environ.get("BENCH_FLEET", "1") != "0"


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def timed(fn, runs: int = RUNS) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def describe(samples: list[float]) -> str:
    return (
        f"p50 {statistics.median(samples):.2f} ms, p99 {percentile(samples, 0.99):.2f} ms, "
        f"mean {statistics.fmean(samples):.2f} ms"
    )


def cpu_ms(fns: dict[str, object], runs: int = RUNS, rounds: int = 10) -> dict[str, float]:
    """CPU milliseconds of this process per call (all threads; not wall time) for each of `fns`:
    batches interleaved round by round so a noisy neighbour hits all alike; median per batch."""
    per_round = max(runs // rounds, 1)
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():
        fn()
    for _ in range(rounds):
        for name, fn in fns.items():
            started = time.process_time()
            for _ in range(per_round):
                fn()
            samples[name].append((time.process_time() - started) * 1000 / per_round)
    return {name: statistics.median(values) for name, values in samples.items()}


BIG_JOB_FILES = 400


def add_big_job(url: str, files: int = BIG_JOB_FILES) -> str:
    """A finished job listing `files` log backups, through the simulator's control API."""
    import json
    import urllib.request

    file_info = [
        {
            "file_name": f"Sales_LOG_{n:04d}.trn",
            "file_size": "12.4MB",
            "file_last_modify": str(1706511360000 + n * 60_000),
        }
        for n in range(files)
    ]
    body = {"duration_seconds": 0, "backup_info": {"file_info": file_info}}
    request = urllib.request.Request(
        url + "/_sim/jobs", method="POST", data=json.dumps(body).encode()
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())["job_id"]


def client_vs_sdk(simulator, config) -> list[tuple[str, str]]:
    """Our `get_job` against the official SDK's `show_replication_job` and a bare `requests`
    GET of the same signed request: wall time, then CPU time per call (this process only; the
    simulator runs in its own), for the seed job (1 file) and a 400-file job."""
    import logging

    import requests
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkdrs.v5 import DrsClient as SdkClient
    from huaweicloudsdkdrs.v5 import ShowReplicationJobRequest

    from jobs.drs import AccessKeyCredentials, DrsClient

    logging.getLogger("jobs.drs.client").setLevel(logging.WARNING)
    access_key, secret_key = next(iter(config.access_keys.items()))
    ours = DrsClient.with_access_key(
        project_id=config.project_id,
        drs_endpoint=simulator.url,
        credentials=AccessKeyCredentials(access_key, secret_key),
    )
    sdk = (
        SdkClient.new_builder()
        .with_credentials(BasicCredentials(access_key, secret_key, config.project_id))
        .with_endpoints([simulator.url])
        .build()
    )
    bare = requests.Session()

    def bare_get(job_id: str):
        # Signed once per call as any client must; the request itself as plain as requests gets.
        from jobs.drs.auth import OutgoingRequest

        path = f"/v5/{config.project_id}/backup-migration-jobs/{job_id}"
        headers = {"Content-Type": "application/json", "X-Language": "en-us"}
        host = simulator.url.split("://", 1)[1]
        request = OutgoingRequest("GET", host, path, "", headers)
        ours.auth.authorize(request)
        return bare.get(simulator.url + path, headers=request.headers, timeout=10).json()

    big_id = add_big_job(simulator.url)
    rows: list[tuple[str, str]] = []
    for label, job_id in (("seed job, 1 file", EXAMPLE_ID), (f"{BIG_JOB_FILES}-file job", big_id)):
        request = ShowReplicationJobRequest(job_id=job_id)
        assert ours.get_job(job_id).id == job_id
        assert sdk.show_replication_job(request).id == job_id
        assert bare_get(job_id)["id"] == job_id
        ours_ms = timed(lambda job_id=job_id: ours.get_job(job_id))
        sdk_ms = timed(lambda request=request: sdk.show_replication_job(request))
        cpu = cpu_ms(
            {
                "ours": lambda job_id=job_id: ours.get_job(job_id),
                "sdk": lambda request=request: sdk.show_replication_job(request),
                "bare": lambda job_id=job_id: bare_get(job_id),
            }
        )
        ours_cpu, sdk_cpu, bare_cpu = cpu["ours"], cpu["sdk"], cpu["bare"]
        goal = "0.55" if job_id == EXAMPLE_ID else "0.5"
        rows += [
            (
                f"Warm `get_job`, {label} (ours, AK/SK; simulator in its own process)",
                describe(ours_ms),
            ),
            (f"Warm `show_replication_job`, {label} (official SDK 3.1.219)", describe(sdk_ms)),
            (
                f"Wall ratio ours / SDK, {label} (p50)",
                f"{statistics.median(ours_ms) / statistics.median(sdk_ms):.2f}",
            ),
            (
                f"CPU per call, {label}: ours / SDK / bare `requests` GET + `.json()`",
                f"{ours_cpu:.3f} / {sdk_cpu:.3f} / {bare_cpu:.3f} ms",
            ),
            (
                f"CPU ratio ours / SDK, {label} (goal ≤ {goal}); bare GET / SDK",
                f"{ours_cpu / sdk_cpu:.2f}; {bare_cpu / sdk_cpu:.2f}",
            ),
        ]
    return rows


def pages(simulator) -> list[tuple[str, str]]:
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client

    call_command("demo", simulator_url=simulator.url, stdout=open(os.devnull, "w"))  # noqa: SIM115
    client = Client(HTTP_HOST="localhost")
    client.login(username="demo", password="drs-demo-2026")
    page = f"/tenants/demo-token/jobs/{EXAMPLE_ID}/"  # the showcase's project
    running = simulator.add_live_job(3600, project_id=AKSK_PROJECT_ID)  # demo-aksk's own
    fragment = f"/tenants/demo-aksk/jobs/{running}/"
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "job-live"}
    client.get(page), client.get(fragment)

    def miss(url, **headers):
        cache.clear()
        return client.get(url, {"refresh": "1", "seen": "TRANSFERRING"}, **headers)

    rows = []
    for label, fn in [
        ("Job page, terminal job from its snapshot (no upstream call)", lambda: client.get(page)),
        ("Job page, forced refresh (upstream call)", lambda: miss(page)),
        (
            "Fragment, running job, cache hit",
            lambda: client.get(fragment, {"seen": "TRANSFERRING"}, **htmx),
        ),
        ("Fragment, running job, cache miss (upstream call)", lambda: miss(fragment, **htmx)),
    ]:
        rows.append((label, describe(timed(fn, max(RUNS // 3, 50)))))
    return rows


def main() -> None:
    load = os.getloadavg()[0]
    workdir = tempfile.mkdtemp(prefix="drs-bench-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DRS_ALLOW_CUSTOM_ENDPOINTS", "1")  # the tenants use the simulator
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from jobs.simulator import Simulator, SimulatorConfig

    call_command("migrate", verbosity=0)
    config = SimulatorConfig()
    simulator = Simulator(config).start()
    seeded = time.perf_counter()
    big = RemoteSimulator(int(os.environ.get("BENCH_PORT", "8791")), bulk_jobs=10_000)
    seeded = time.perf_counter() - seeded
    try:
        rows = client_vs_sdk(big, config) + pages(simulator)
    finally:
        simulator.stop()
        big.stop()
    rows.append(("Simulator start with 10,000 jobs (own process)", f"{seeded:.1f} s"))
    database = ""
    if STACK:
        from tests.bench import production

        try:
            stack_rows, database = production.rows()
        except RuntimeError as error:  # no Redis, or the stack did not start: say so in the table
            stack_rows = [
                ("Production-like stack (gunicorn rows)", f"not run: {str(error).splitlines()[0]}")
            ]
            database = ""
        rows += stack_rows
    if FLEET:
        from tests.bench import pages as fleet_pages
        from tests.bench import sync

        rows += fleet_pages.rows() + sync.rows()
    from tests.bench import notify

    rows += [(f"{label} (in-process, {_database()})", value) for label, value in notify.rows()]
    table = "\n".join(["| Measure | Result |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows)])
    print(table)
    out = Path(os.environ.get("BENCH_OUT", ROOT / "docs" / "benchmarks.md"))
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        "# Benchmarks\n\n"
        f"Measured by `make bench` on {time.strftime('%Y-%m-%d')}, {machine()}, against the DRS "
        f"simulator on loopback; {RUNS} runs per client row, in-process Django test client for "
        f"the page rows (server time, no network); 1-minute load average {load:.1f} at the start."
        + (
            " The rows marked gunicorn run on a production-like stack: the simulator in its own "
            "process, `gunicorn -c dashboard/gunicorn.conf.py` with 2 gthread workers (DEBUG off, "
            f"JOB_REFRESH_SECONDS={production.REFRESH_SECONDS}), Redis as the shared cache and "
            f"{database}; the load generator (Python threads, or wrk) shares the same cores, so "
            "those figures are a floor, not a ceiling."
            if database
            else ""
        )
        + (
            " The fleet-scale rows run each in their own process with DEBUG off, on PostgreSQL "
            "and Redis: the pages on gunicorn over a seeded fleet kept in its own database "
            "(`tests/bench/pages.py`, `tests/bench/seed.py`), the sync in-process "
            "(`tests/bench/sync.py`). Page figures are wall time at the client over loopback, "
            "min / **median** / max of interleaved rounds, with their floors from the same run."
            if FLEET
            else ""
        )
        + f"\n\n{table}\n\n"
        "## How to re-run\n\n"
        "```sh\n"
        "bash .ci/services   # PostgreSQL and Redis on loopback (without PostgreSQL: SQLite)\n"
        "make bench          # writes this file\n"
        "make soak           # 200 watchers for 60 s under injected upstream faults\n"
        "```\n\n"
        "`BENCH_RUNS` (300) sets the runs per client row, `BENCH_WATCH_SECONDS` (30) the length "
        "of each watcher run, `BENCH_WRK_SECONDS` (15) each wrk run; `BENCH_STACK=0` skips the "
        "gunicorn rows, `BENCH_FLEET=0` the fleet-scale rows (`BENCH_STEADY_SECONDS`, 240, sets "
        "the steady-state window). The figures are noisy on a shared machine: re-run on a quiet one before "
        "comparing.\n"
    )
    shutil.rmtree(workdir, ignore_errors=True)  # the in-process SQLite database


def _database() -> str:
    from django.db import connection

    return "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"


def machine() -> str:
    import platform

    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    cpus = os.cpu_count()
    return (
        f"on this project's {cpus}-core machine ({model or platform.machine()}, "
        f"Python {platform.python_version()})"
    )


if __name__ == "__main__":
    main()
