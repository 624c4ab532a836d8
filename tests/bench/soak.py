"""`make soak`: many watchers for a minute against gunicorn + Redis while DRS misbehaves.

SOAK_WATCHERS (200) people poll, every SOAK_POLL_SECONDS (5 = JOB_REFRESH_SECONDS, as the page
does), for SOAK_SECONDS (60): the live fragments of SOAK_JOBS (10) running jobs (a few finish,
one fails, during the run), the job list's table, and now and then a full page. Every
SOAK_FAULT_EVERY (10) seconds the simulator injects one fault from FAULTS on a random job or on
every call (SOAK_SEED repeats a run's choices). An error is any 5xx from our server or a
connection error/timeout; expected 4xx would not be errors (none are expected here). Prints a
table and exits 1 when there is any error.

Then the trickle run (SOAK_TRICKLE_SECONDS, 60; 0 skips it): the same watchers on demo-aksk while
SOAK_TRICKLE_SHARE (10 %) of upstream answers trickle in one byte every SOAK_TRICKLE_BYTE_SECONDS
(1 s), so each such call holds a server thread until DRS_DEADLINE. Meanwhile a probe asks
`/healthz` and the other tenant's pages (demo-token's list and the overview, from the mirror)
every SOAK_PROBE_SECONDS (0.5) and reports errors, latency and the longest wait for an answer. Run: `.venv/bin/python -m tests.bench.soak`;
BENCH_GUNICORN_ARGS adds gunicorn options (e.g. '--keep-alive 30') to try a change.
"""

from __future__ import annotations

import os
import random
import re
import sys
import threading
import time

from tests.bench.load import MemorySampler, Tally, percentile, watch
from tests.bench.stack import HTMX_LIVE, HTMX_TABLE, REFRESH_SECONDS, Stack

SECONDS = int(os.environ.get("SOAK_SECONDS", "60"))
WATCHERS = int(os.environ.get("SOAK_WATCHERS", "200"))
JOBS = int(os.environ.get("SOAK_JOBS", "10"))
POLL_SECONDS = float(os.environ.get("SOAK_POLL_SECONDS", str(REFRESH_SECONDS)))  # as browsers
FAULT_EVERY = float(os.environ.get("SOAK_FAULT_EVERY", "10"))
TRICKLE_SECONDS = int(os.environ.get("SOAK_TRICKLE_SECONDS", "60"))
TRICKLE_SHARE = float(os.environ.get("SOAK_TRICKLE_SHARE", "0.10"))
TRICKLE_BYTE_SECONDS = float(os.environ.get("SOAK_TRICKLE_BYTE_SECONDS", "1.0"))
PROBE_SECONDS = float(os.environ.get("SOAK_PROBE_SECONDS", "0.5"))
PROBES = ["/healthz", "/tenants/demo-token/jobs/?size=25", "/"]
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


def trickle_share(stack: Stack, stop: threading.Event) -> tuple[int, int]:
    """Every second, as many one-shot `trickle` faults on every call as make SHARE of the calls
    made meanwhile (the remainder carries over). Returns (trickles injected, calls seen)."""
    injected, due, last = 0, 0.0, stack.simulator.calls()
    first = last
    while not stop.wait(1.0):
        now = stack.simulator.calls()
        due += (now - last) * TRICKLE_SHARE
        last = now
        if due >= 1:
            count = int(due)
            stack.simulator.add_fault("trickle", "*", count, seconds=TRICKLE_BYTE_SECONDS)
            injected, due = injected + count, due - count
    return injected, stack.simulator.calls() - first


def probe(stack: Stack, stop: threading.Event) -> dict:
    """/healthz and another tenant's pages, in turn, until `stop`: errors, latency, and the
    longest time without a successful answer (what a health check would notice)."""
    import requests

    session = requests.Session()
    session.headers.update(stack.headers())
    stats = {path: Tally() for path in PROBES}
    last_ok, longest_gap, turn = time.monotonic(), 0.0, 0
    while not stop.wait(PROBE_SECONDS):
        path = PROBES[turn % len(PROBES)]
        turn += 1
        began = time.monotonic()
        try:
            response = session.get(stack.url + path, timeout=30, allow_redirects=False)
            stats[path].add(response.status_code, (time.monotonic() - began) * 1000)
            if response.status_code < 500:
                longest_gap = max(longest_gap, time.monotonic() - last_ok)
                last_ok = time.monotonic()
        except requests.RequestException as error:
            stats[path].add(None, 0, f"{type(error).__name__}: {error}")
    longest_gap = max(longest_gap, time.monotonic() - last_ok)
    session.close()
    return {"stats": stats, "longest_gap": longest_gap}


def trickle_run(stack: Stack, targets: list[tuple[str, dict]]) -> tuple[list, int]:
    """The watchers on demo-aksk while SHARE of upstream answers trickle; the probe throughout."""
    stack.simulator.clear_faults()
    stack.simulator.reset_counters()
    tally, stop = Tally(), threading.Event()
    result: dict = {}
    share: list[tuple[int, int]] = []
    injector = threading.Thread(target=lambda: share.append(trickle_share(stack, stop)))
    prober = threading.Thread(target=lambda: result.update(probe(stack, stop)))
    print(
        f"\nTrickle run: {WATCHERS} watchers for {TRICKLE_SECONDS} s, {TRICKLE_SHARE:.0%} of "
        f"upstream answers trickle (1 byte every {TRICKLE_BYTE_SECONDS:g} s); probe every "
        f"{PROBE_SECONDS:g} s: {', '.join(PROBES)}",
        flush=True,
    )
    started = time.monotonic()
    injector.start()
    prober.start()
    try:
        watch(stack, targets, WATCHERS, TRICKLE_SECONDS, POLL_SECONDS, tally)
    finally:
        stop.set()
        injector.join(10)
        prober.join(40)
    elapsed = time.monotonic() - started
    stack.simulator.clear_faults()
    trickled, calls = share[0] if share else (0, 0)
    statuses = ", ".join(f"{status}: {n}" for status, n in sorted(tally.statuses.items()))
    rows = [
        (
            "Watchers (demo-aksk) / duration",
            f"{WATCHERS} every {POLL_SECONDS:g} s / {elapsed:.0f} s",
        ),
        (
            "Upstream calls / trickled",
            f"{calls} / {trickled} ({trickled / calls if calls else 0:.0%})",
        ),
        ("Watcher requests", f"{tally.requests}; errors {tally.errors}; {statuses or '—'}"),
        ("Watcher latency", _latency(tally)),
    ]
    errors = tally.errors
    for path, stats in result.get("stats", {}).items():
        rows.append(
            (
                f"Probe {path}",
                f"{stats.requests} requests, {stats.errors} errors; {_latency(stats)}",
            )
        )
        errors += stats.errors
    if tally.failure_messages:
        rows.append(("First watcher errors", "; ".join(tally.failure_messages[:3])))
    gap = result.get("longest_gap", float("nan"))
    rows.append(("Probe: longest wait for an answer", f"{gap:.1f} s"))
    return rows, errors


def _latency(tally: Tally) -> str:
    return (
        f"p50 {percentile(tally.latencies_ms, 0.5):.1f} ms, "
        f"p99 {percentile(tally.latencies_ms, 0.99):.1f} ms, "
        f"max {max(tally.latencies_ms, default=0):.0f} ms"
    )


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
        trickle_rows, trickle_errors = trickle_run(stack, targets) if TRICKLE_SECONDS else ([], 0)
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
        (
            "Latency",
            f"p50 {percentile(tally.latencies_ms, 0.5):.1f} ms, "
            f"p99 {percentile(tally.latencies_ms, 0.99):.1f} ms, "
            f"max {max(tally.latencies_ms, default=0):.0f} ms",
        ),
        ("Upstream calls", f"{sum(by_path.values())}: {detail} job details, {listing} lists"),
        (
            "Upstream job calls per job per interval",
            f"{detail / (JOBS * intervals):.2f} (faults add the client's retries)",
        ),
        ("Faults injected", "; ".join(injected) or "none"),
        ("Faults not used up", str(len(left))),
        ("Peak RSS per worker (VmHWM)", memory.describe(workers)),
        ("Server tracebacks, worker timeouts/crashes logged", str(tracebacks)),
    ]
    print("| Measure | Result |\n|---|---|")
    for label, value in rows:
        print(f"| {label} | {value} |")
    if trickle_rows:
        print("\nTrickle run\n\n| Measure | Result |\n|---|---|")
        for label, value in trickle_rows:
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
    if tally.errors or trickle_errors:
        print(
            f"\nFAILED: {tally.errors} errors, {trickle_errors} in the trickle run", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
