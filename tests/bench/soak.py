"""`make soak`: many watchers for a minute against gunicorn + Redis while DRS misbehaves.

SOAK_WATCHERS (200) people poll, every SOAK_POLL_SECONDS (5 = JOB_REFRESH_SECONDS, as the page
does), for SOAK_SECONDS (60): the live fragments of SOAK_JOBS (10) running jobs (a few finish,
one fails, during the run), the job list's table, and now and then a full page. Every
SOAK_FAULT_EVERY (10) seconds the simulator injects one fault from FAULTS on a random job or on
every call (SOAK_SEED repeats a run's choices). An error is any 5xx from our server or a
connection error/timeout; expected 4xx would not be errors (none are expected here). Prints a
table and exits 1 when there is any error. Run: `.venv/bin/python -m tests.bench.soak`;
BENCH_GUNICORN_ARGS adds gunicorn options (e.g. '--keep-alive 30') to try a change.
"""

from __future__ import annotations

import os
import random
import re
import sys
import threading
import time

from .load import MemorySampler, Tally, percentile, watch
from .stack import HTMX_LIVE, HTMX_TABLE, REFRESH_SECONDS, Stack

SECONDS = int(os.environ.get("SOAK_SECONDS", "60"))
WATCHERS = int(os.environ.get("SOAK_WATCHERS", "200"))
JOBS = int(os.environ.get("SOAK_JOBS", "10"))
POLL_SECONDS = float(os.environ.get("SOAK_POLL_SECONDS", str(REFRESH_SECONDS)))  # as browsers
FAULT_EVERY = float(os.environ.get("SOAK_FAULT_EVERY", "10"))
SEED = int(os.environ.get("SOAK_SEED", str(random.randrange(1 << 30))))

FAULTS = [
    {"kind": "http_503", "count": 3},
    {"kind": "throttle", "count": 2},
    {"kind": "delay", "count": 2, "params": {"seconds": 2}},
    {"kind": "malformed_json", "count": 1},
    {"kind": "drop", "count": 1},
]


def make_jobs(stack: Stack, rng: random.Random) -> list[str]:
    """Running jobs; about a third of them finish during the soak (one of those fails)."""
    jobs = []
    for n in range(JOBS):
        if n % 3 == 2:
            outcome = "FAILED" if n == 2 else "SUCCESS"
            jobs.append(stack.simulator.add_live_job(rng.uniform(0.3, 0.8) * SECONDS, outcome))
        else:
            jobs.append(stack.simulator.add_live_job(3600))
    return jobs


def inject_faults(stack: Stack, jobs: list[str], rng: random.Random, stop: threading.Event):
    """One fault every FAULT_EVERY seconds (the first after half of that), until `stop`."""
    injected: list[str] = []
    wait = FAULT_EVERY / 2
    while not stop.wait(wait):
        fault = rng.choice(FAULTS)
        target = rng.choice([*jobs, "*"])
        stack.simulator.add_fault(fault["kind"], target, fault["count"], **fault.get("params", {}))
        shown = "every call" if target == "*" else f"job {jobs.index(target) + 1}"
        injected.append(f"{fault['kind']}×{fault['count']} on {shown}")
        wait = FAULT_EVERY
    return injected


def main() -> int:
    rng = random.Random(SEED)
    random.seed(SEED)
    with Stack() as stack:
        jobs = make_jobs(stack, rng)
        warm = [f"/tenants/demo-aksk/jobs/{job}/" for job in jobs] + ["/tenants/demo-aksk/jobs/"]
        for path in warm:  # snapshots exist before any fault, as for a job someone opened
            status, _ = stack.get(path)
            assert status == 200, (path, status)
        list_query = "/tenants/demo-aksk/jobs/?size=25&sort=created_at&dir=desc"
        targets = [(f"/tenants/demo-aksk/jobs/{j}/?seen=TRANSFERRING", HTMX_LIVE) for j in jobs]
        targets += [
            (list_query, HTMX_TABLE),
            (list_query, HTMX_TABLE),
            (list_query, {}),
            (f"/tenants/demo-aksk/jobs/{jobs[0]}/", {}),
        ]
        stack.simulator.reset_counters()
        tally, stop = Tally(), threading.Event()
        injected: list[str] = []
        injector = threading.Thread(
            target=lambda: injected.extend(inject_faults(stack, jobs, rng, stop)), daemon=True
        )
        print(
            f"Soak: {WATCHERS} watchers, every {POLL_SECONDS:g} s for {SECONDS} s, {JOBS} jobs, "
            f"a fault every {FAULT_EVERY:g} s (seed {SEED}); gunicorn on {stack.url}, "
            f"{stack.database}, Redis",
            flush=True,
        )
        started = time.monotonic()
        with MemorySampler(stack.worker_pids) as memory:
            injector.start()
            try:
                watch(stack, targets, WATCHERS, SECONDS, POLL_SECONDS, tally)
            finally:
                stop.set()
                injector.join(10)
        elapsed = time.monotonic() - started
        left = stack.simulator.state()["faults"]
        stack.simulator.clear_faults()
        by_path = stack.simulator.state()["calls_by_path"]
        detail = sum(n for path, n in by_path.items() if path.rsplit("/", 1)[-1] in jobs)
        listing = sum(n for path, n in by_path.items() if path.endswith("backup-migration-jobs"))
        tracebacks, first = stack.server_errors()
        workers = stack.worker_pids()

    intervals = SECONDS / REFRESH_SECONDS
    statuses = ", ".join(f"{status}: {n}" for status, n in sorted(tally.statuses.items()))
    failures = ", ".join(f"{kind}: {n}" for kind, n in sorted(tally.failures.items()))
    rows = [
        ("Watchers / duration", f"{WATCHERS} every {POLL_SECONDS:g} s / {elapsed:.0f} s"),
        ("Requests", f"{tally.requests} ({tally.requests / elapsed:.0f}/s)"),
        ("Errors (5xx or connection error; goal 0)", str(tally.errors)),
        ("Statuses", statuses or "—"),
        ("Connection errors / timeouts", failures or "0"),
        ("Latency", f"p50 {percentile(tally.latencies_ms, 0.5):.1f} ms, "
                    f"p99 {percentile(tally.latencies_ms, 0.99):.1f} ms, "
                    f"max {max(tally.latencies_ms, default=0):.0f} ms"),
        ("Upstream calls", f"{sum(by_path.values())}: {detail} job details, {listing} lists"),
        ("Upstream job calls per job per interval",
         f"{detail / (JOBS * intervals):.2f} (faults add the client's retries)"),
        ("Faults injected", "; ".join(injected) or "none"),
        ("Faults not used up", str(len(left))),
        ("Peak RSS per worker (VmHWM)", memory.describe(workers)),
        ("Server tracebacks, worker timeouts/crashes logged", str(tracebacks)),
    ]  # fmt: skip
    print("| Measure | Result |\n|---|---|")
    for label, value in rows:
        print(f"| {label} | {value} |")
    if tally.failure_messages:
        print("\nFirst connection errors:", *tally.failure_messages[:5], sep="\n  ")
        if any(re.search(r"idle before: [4-9]\.", m) for m in tally.failure_messages):
            print(
                "A reset on a connection idle for about gunicorn's keepalive (5 s) is the server "
                "closing it as the next poll arrives: keepalive must outlast the poll interval "
                "(try BENCH_GUNICORN_ARGS='--keep-alive 30')."
            )
    if first:
        print(f"\nFrom the server log:\n{first}")
    if tally.errors:
        print(f"\nFAILED: {tally.errors} errors", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
