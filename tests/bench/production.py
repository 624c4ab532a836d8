"""The bench rows measured on the production-like stack (gunicorn, 2 workers, Redis, PostgreSQL):
upstream amplification under many watchers, requests/s with wrk, and peak RSS per worker."""

from __future__ import annotations

import os
import statistics
import threading
import time
from pathlib import Path

from tests.bench.load import MemorySampler, Tally, percentile, watch, wrk
from tests.bench.stack import HTMX_LIVE, REFRESH_SECONDS, Stack
from tests.support import EXAMPLE_ID

WATCH_SECONDS = int(os.environ.get("BENCH_WATCH_SECONDS", "30"))
WARMUP = 2  # seconds before the counted window: the cold start
WRK_SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "15"))
WATCHER_COUNTS = (1, 10, 100)


def amplification(stack: Stack, watchers: int) -> tuple[str, str]:
    """`watchers` people polling one running job's fragment every second. Upstream calls are
    counted over a window of WATCH_SECONDS in the steady state (after a warm-up that includes
    the cold start), so a call just before or after the window is not counted against it: with
    one call per interval, a window of k intervals holds at most k calls."""
    job = stack.simulator.add_live_job(3600)
    path = f"/tenants/demo-aksk/jobs/{job}/?seen=TRANSFERRING"
    tally = Tally()
    stack.simulator.reset_counters()
    start = time.monotonic() + 0.5
    runner = threading.Thread(
        target=watch,
        args=(stack, [(path, HTMX_LIVE)], watchers, WARMUP + WATCH_SECONDS + 1, 1.0, tally),
        kwargs={"start": start},
    )
    runner.start()
    time.sleep(max(start + WARMUP - time.monotonic(), 0))
    before = stack.simulator.job_calls(job)
    time.sleep(max(start + WARMUP + WATCH_SECONDS - time.monotonic(), 0))
    calls = stack.simulator.job_calls(job) - before
    runner.join()
    total = stack.simulator.job_calls(job)
    intervals = WATCH_SECONDS / REFRESH_SECONDS
    result = (
        f"{calls / intervals:.2f} upstream calls per job per interval ({calls} in "
        f"{WATCH_SECONDS} s, {total} in the whole run with the cold start; naive: "
        f"{watchers * REFRESH_SECONDS}); {tally.requests} polls, "
        f"p50 {statistics.median(tally.latencies_ms):.1f} ms, "
        f"p99 {percentile(tally.latencies_ms, 0.99):.1f} ms"
    )
    if tally.errors or set(tally.statuses) != {200}:
        result += f"; statuses {dict(tally.statuses)}, failures {dict(tally.failures)}"
    label = f"{watchers} watcher{'s' if watchers > 1 else ''} polling one running job every 1 s"
    return f"{label} (gunicorn; goal ≤ 1 call per interval)", result


def cpu_seconds(stack: Stack) -> float:
    """CPU time of gunicorn's workers so far: the live ones' own, plus what the master has
    collected from workers that exited (recycled after max_requests) in its cutime/cstime."""
    ticks = os.sysconf("SC_CLK_TCK")

    def fields(pid: int) -> list[str]:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return []

    master = fields(stack.gunicorn.pid)
    total = int(master[13]) + int(master[14]) if master else 0  # cutime, cstime
    for pid in stack.worker_pids():
        worker = fields(pid)
        total += int(worker[11]) + int(worker[12]) if worker else 0  # utime, stime
    return total / ticks


def under_wrk(stack: Stack, path: str, htmx: dict | None) -> str:
    before = cpu_seconds(stack)
    result = wrk(stack, path, htmx, WRK_SECONDS)
    used = cpu_seconds(stack) - before
    per_request = used * 1000 / max(result.requests, 1)
    return f"{result.describe()}; server CPU {per_request:.2f} ms per request"


def throughput(stack: Stack) -> list[tuple[str, str]]:
    rows = []
    job = stack.simulator.add_live_job(3600)
    fragment = f"/tenants/demo-aksk/jobs/{job}/?seen=TRANSFERRING"
    stack.get(fragment, HTMX_LIVE)
    stack.simulator.reset_counters()
    result = under_wrk(stack, fragment, HTMX_LIVE)
    calls = stack.simulator.job_calls(job)
    rows.append(
        (
            f"Fragment of a running job, `wrk -t2 -c20 -d{WRK_SECONDS}s` (gunicorn, 2 workers; "
            "goal ≥ 500 req/s or ≤ 2 ms server CPU per poll)",
            f"{result}; {calls} upstream calls",
        )
    )
    page = f"/tenants/demo-token/jobs/{EXAMPLE_ID}/"  # the showcase's project
    status, _ = stack.get(page)  # the first view stores the snapshot
    assert status == 200, status
    stack.simulator.reset_counters()
    result = under_wrk(stack, page, None)
    rows.append(
        (
            f"Job page of a finished job (snapshot), `wrk -t2 -c20 -d{WRK_SECONDS}s` (gunicorn)",
            f"{result}; {stack.simulator.calls()} upstream calls",
        )
    )
    return rows


QUERY_SCRIPT = """
import time
from django.db import connection
from django.test import Client
from django.contrib.auth import get_user_model
from jobs.tenants.models import Tenant

client = Client(HTTP_HOST="localhost")
client.force_login(get_user_model().objects.get(username="demo"))
fragment = "/tenants/demo-aksk/jobs/{job}/"
page = "/tenants/demo-token/jobs/{seed}/"  # the showcase job is in its project
live = {{"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "job-live"}}
client.get(fragment); client.get(fragment, {{"seen": "TRANSFERRING"}}, **live); client.get(page)
for label, url, params, headers in (
    ("fragment", fragment, {{"seen": "TRANSFERRING"}}, live), ("page", page, {{}}, {{}}),
):
    queries = []
    with connection.execute_wrapper(lambda run, sql, *args: queries.append(sql) or run(sql, *args)):
        response = client.get(url, params, **headers)
    assert response.status_code == 200, (url, response.status_code)
    samples = []
    for _ in range(200):
        started = time.perf_counter()
        client.get(url, params, **headers)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    print(label, len(queries), samples[100], samples[198])
"""


def queries_and_page_time(stack: Stack) -> list[tuple[str, str]]:
    """Queries and server time per request on a cache hit, measured with Django's test client
    in a process with the stack's settings (PostgreSQL, Redis): the same code path as a worker,
    without the network."""
    job = stack.simulator.add_live_job(3600)
    out = stack.manage("shell", "-c", QUERY_SCRIPT.format(job=job, seed=EXAMPLE_ID))
    found = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    fragment, page = found["fragment"], found["page"]
    return [
        (
            "Queries per fragment poll of a running job, cache hit (goal ≤ 1)",
            f"{fragment[0]}; server time p50 {float(fragment[1]):.2f} ms, "
            f"p99 {float(fragment[2]):.2f} ms",
        ),
        (
            "Queries per job page of a finished job, cache hit; server time (goal ≤ 10 ms)",
            f"{page[0]}; p50 {float(page[1]):.2f} ms, p99 {float(page[2]):.2f} ms",
        ),
    ]


def iam_logins(stack: Stack) -> tuple[str, str]:
    """A password tenant's pages through both workers, then a restart of the workers, then
    again: how many IAM tokens were issued. Goal: 1."""
    import redis

    from tests.bench.stack import REDIS_URL

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter("*iam-token*"):  # start with no shared token
        client.delete(key)
    before = stack.simulator.state()["tokens_issued"]
    job = stack.simulator.add_live_job(3600, project_id=None)  # demo-token's: the default one
    path = f"/tenants/demo-token/jobs/{job}/?refresh=1"

    def views(n: int) -> None:
        for _ in range(n):
            status, _ = stack.get(path)
            assert status == 200, status
            time.sleep(REFRESH_SECONDS / 4)

    views(8)
    stack.reload_workers()  # new workers, empty process memory
    views(8)
    issued = stack.simulator.state()["tokens_issued"] - before
    return (
        "IAM logins for one password tenant: 16 refreshed views over 2 workers and a restart "
        "(goal 1)",
        f"{issued}",
    )


def rows() -> tuple[list[tuple[str, str]], str]:
    """The rows, and the database the stack ran on."""
    with Stack() as stack:
        with MemorySampler(stack.worker_pids) as memory:
            out = [amplification(stack, n) for n in WATCHER_COUNTS]
            out += queries_and_page_time(stack)
            out += throughput(stack)
            out.append(iam_logins(stack))
        out.append(
            (
                "Peak RSS per gunicorn worker (VmHWM, sampled during the runs above)",
                memory.describe(stack.worker_pids()),
            )
        )
        tracebacks, first = stack.server_errors()
        if tracebacks:
            print(f"The server logged {tracebacks} tracebacks; the first:\n{first}")
        return out, stack.database
