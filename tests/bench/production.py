"""The bench rows measured on the production-like stack (gunicorn, 2 workers, Redis, PostgreSQL):
upstream amplification under many watchers, requests/s with wrk, and peak RSS per worker."""

from __future__ import annotations

import os
import statistics
import threading
import time

from .load import MemorySampler, Tally, percentile, watch, wrk
from .stack import HTMX_LIVE, REFRESH_SECONDS, SEED_ID, Stack

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


def throughput(stack: Stack) -> list[tuple[str, str]]:
    rows = []
    job = stack.simulator.add_live_job(3600)
    fragment = f"/tenants/demo-aksk/jobs/{job}/?seen=TRANSFERRING"
    stack.get(fragment, HTMX_LIVE)
    stack.simulator.reset_counters()
    result = wrk(stack, fragment, HTMX_LIVE, WRK_SECONDS)
    calls = stack.simulator.job_calls(job)
    rows.append(
        (
            f"Fragment of a running job, `wrk -t2 -c20 -d{WRK_SECONDS}s` (gunicorn, 2 workers)",
            f"{result.describe()}; {calls} upstream calls",
        )
    )
    page = f"/tenants/demo-aksk/jobs/{SEED_ID}/"
    status, _ = stack.get(page)  # the first view stores the snapshot
    assert status == 200, status
    stack.simulator.reset_counters()
    result = wrk(stack, page, None, WRK_SECONDS)
    rows.append(
        (
            f"Job page of a finished job (snapshot), `wrk -t2 -c20 -d{WRK_SECONDS}s` (gunicorn)",
            f"{result.describe()}; {stack.simulator.calls()} upstream calls",
        )
    )
    return rows


def rows() -> tuple[list[tuple[str, str]], str]:
    """The rows, and the database the stack ran on."""
    with Stack() as stack:
        with MemorySampler(stack.worker_pids) as memory:
            out = [amplification(stack, n) for n in WATCHER_COUNTS]
            out += throughput(stack)
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
