"""Bounded load against 127.0.0.1: polling watchers (threads), wrk, and a worker-memory sampler."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from tests.bench.stack import Stack, vm_kib

MAX_WATCHERS = 1000
MAX_SECONDS = 900
WRK = shutil.which("wrk") or "/usr/bin/wrk"


def percentile(samples: list[float], share: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


@dataclass
class Tally:
    """What the watchers saw; shared by all their threads."""

    statuses: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)  # connection errors, timeouts
    failure_messages: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int | None, ms: float, failure: str = "") -> None:
        with self.lock:
            if status is None:
                kind = failure.partition(": ")[0]
                self.failures[kind] += 1
                self.failure_messages.append(failure)
            else:
                self.statuses[status] += 1
                self.latencies_ms.append(ms)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + sum(self.failures.values())

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    @property
    def errors(self) -> int:
        return self.server_errors + sum(self.failures.values())


def watch(
    stack: Stack,
    targets: list[tuple[str, dict]],
    watchers: int,
    seconds: float,
    period: float,
    tally: Tally,
    stop: threading.Event | None = None,
    start: float | None = None,
) -> None:
    """`watchers` threads, each polling one of `targets` (path, htmx headers; round-robin) every
    `period` seconds for `seconds` from `start` (time.monotonic(); default: in 0.5 s), each at a
    random offset within the first period. Returns when all are done (or `stop` is set)."""
    if not 0 < watchers <= MAX_WATCHERS or not 0 < seconds <= MAX_SECONDS or period < 0.05:
        raise ValueError("watchers, seconds or period out of bounds")
    stop = stop or threading.Event()
    start = start or time.monotonic() + 0.5
    end = start + seconds

    def run(path: str, htmx: dict, offset: float) -> None:
        session = requests.Session()
        session.headers.update(stack.headers(htmx))
        url = stack.url + path
        due = start + offset
        answered = None  # when the last response ended: how long the connection sat idle
        while not stop.is_set():
            now = time.monotonic()
            if due >= end:
                break
            if due > now:
                stop.wait(due - now)
                continue
            began = time.perf_counter()
            try:
                response = session.get(url, timeout=30, allow_redirects=False)
                answered = time.perf_counter()
                tally.add(response.status_code, (answered - began) * 1000)
            except requests.RequestException as error:
                idle = f"{began - answered:.2f} s" if answered else "none, a new connection"
                tally.add(None, 0, f"{type(error).__name__}: {error} (idle before: {idle})")
                answered = None
            due += period
            while due < time.monotonic() - period:  # fell behind: skip, don't burst
                due += period
        session.close()

    threads = []
    for n in range(watchers):
        path, htmx = targets[n % len(targets)]
        thread = threading.Thread(
            target=run, args=(path, htmx, random.uniform(0, period)), daemon=True
        )
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(max(end - time.monotonic(), 0) + 35)  # a request times out after 30 s
    stop.set()


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    requests: int
    non_2xx_3xx: int
    socket_errors: str

    def describe(self) -> str:
        text = (
            f"{self.requests_per_second:,.0f} req/s; latency p50 {self.p50_ms:.1f} ms, "
            f"p90 {self.p90_ms:.1f} ms, p99 {self.p99_ms:.1f} ms"
        )
        if self.non_2xx_3xx or self.socket_errors:
            text += f"; {self.non_2xx_3xx} non-2xx/3xx {self.socket_errors}".rstrip()
        return text


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> WrkResult:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not rate:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    shares = dict(re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+(?:us|ms|s|m))\s*$", output, re.M))
    total = re.search(r"(\d+) requests in", output)
    non_ok = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(r"Socket errors:.*", output)
    return WrkResult(
        float(rate.group(1)),
        _ms(shares["50"]),
        _ms(shares["90"]),
        _ms(shares["99"]),
        int(total.group(1)) if total else 0,
        int(non_ok.group(1)) if non_ok else 0,
        f"({sockets.group(0)})" if sockets else "",
    )


def wrk(
    stack: Stack,
    path: str,
    htmx: dict | None,
    seconds: int,
    threads: int = 2,
    connections: int = 20,
) -> WrkResult:
    if not 0 < seconds <= 120 or connections > 200:
        raise ValueError("wrk run out of bounds")
    command = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in stack.headers(htmx).items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run(
        [*command, stack.url + path], capture_output=True, text=True, timeout=seconds + 60
    )
    if done.returncode:
        raise RuntimeError(f"wrk failed: {done.stderr}")
    return parse_wrk(done.stdout)


class MemorySampler:
    """Samples VmHWM (peak RSS) of every gunicorn worker while it runs: workers are recycled
    after max_requests, so reading them only at the end would miss the ones that exited."""

    def __init__(self, pids: Callable[[], list[int]], every: float = 0.5) -> None:
        self.pids, self.every = pids, every
        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def sample(self) -> None:
        for pid in self.pids():
            kib = vm_kib(pid, "VmHWM")
            if kib is not None:
                self.peaks[pid] = max(self.peaks.get(pid, 0), kib)

    def describe(self, live: list[int]) -> str:
        if not self.peaks:
            return "no worker seen"
        mib = sorted((kib / 1024 for kib in self.peaks.values()), reverse=True)
        current = ", ".join(f"{self.peaks[p] / 1024:.0f}" for p in live if p in self.peaks)
        text = f"max {mib[0]:.0f} MiB; workers at the end: {current or '—'} MiB"
        if len(self.peaks) > len(live):
            text += f" ({len(self.peaks)} workers seen: recycled after max_requests)"
        return text
