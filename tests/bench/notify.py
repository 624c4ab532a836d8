"""Notification delivery through the outbox, against a signed-webhook receiver on loopback.

- Deliveries per second: `DELIVERIES` FAILED transitions written through the sync's mirror
  code (one webhook rule: one outbox row each), then drained by `deliver_due` (the Celery
  task's path: claim with a lease, send, mark sent) with 1 and with 4 threads.
- Delay from a transition seen by the sync to the message received: the sync's `observe` of
  a FAILED job (timed from just before its transaction) to the receiver's arrival time, with
  the embedded notifier ticking as `manage.py sync --loop` does (every 1 s); and the same
  with a tick right after the transition, i.e. the outbox's own cost without the wait.

`rows()` returns table rows for `make bench` (Django set up, database migrated: it makes and
removes its own tenant). Standalone, on PostgreSQL when reachable (BENCH_POSTGRES_URL, a
fresh database), else SQLite:

    .venv/bin/python -m tests.bench.notify
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import random
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler

from tests.support import serving

DELIVERIES = int(os.environ.get("BENCH_NOTIFY_DELIVERIES", "300"))
DELAY_SAMPLES = int(os.environ.get("BENCH_NOTIFY_SAMPLES", "40"))


class Receiver:
    """Checks each signature and records when each delivery arrived (and how often)."""

    def __init__(self) -> None:
        self.secret = ""
        self.arrived: dict[str, float] = {}  # job id → first arrival (perf_counter)
        self.count = 0
        self.duplicates = 0
        self.bad = 0
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                now = time.perf_counter()
                stamp = self.headers["X-DRS-Timestamp"].encode()
                expected = hmac.new(receiver.secret.encode(), stamp + b"." + body, hashlib.sha256)
                ok = hmac.compare_digest(
                    "sha256=" + expected.hexdigest(), self.headers["X-DRS-Signature"]
                )
                self.send_response(200)
                self.end_headers()
                with receiver.changed:
                    if not ok:
                        receiver.bad += 1
                        return
                    job = json.loads(body)["job"]["id"]
                    receiver.count += 1
                    if job in receiver.arrived:
                        receiver.duplicates += 1
                    receiver.arrived.setdefault(job, now)
                    receiver.changed.notify_all()

        self._serving = contextlib.ExitStack()
        server = self._serving.enter_context(serving(Handler))
        self.url = f"json://127.0.0.1:{server.server_address[1]}/bench"

    def wait_for(self, job_id: str, timeout: float = 10.0) -> float:
        deadline = time.monotonic() + timeout
        with self.changed:
            while job_id not in self.arrived:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"no message for {job_id} within {timeout:g} s")
                self.changed.wait(left)
            return self.arrived[job_id]

    def stop(self) -> None:
        self._serving.close()


def _seen(job_id: str, status: str, at: datetime):
    from jobs.mirror.record import Seen

    error = "Msg 3201, Level 16, State 1\nCannot open backup device 'D:\\x.bak'. Operating system error 2."
    finish = at if status != "TRANSFERRING" else None
    return Seen(
        job_id,
        f"nightly restore {job_id}",
        status,
        "sqlserver",
        error if status == "FAILED" else "",
        "",
        at - timedelta(hours=1),
        finish,
        "0",
    )


def _fail(tenant, job_ids: list[str], at: datetime) -> None:
    """The jobs seen running, then failed, by the sync's own mirror code."""
    from jobs.mirror import record as mirror

    mirror.observe(
        tenant,
        [_seen(j, "TRANSFERRING", at) for j in job_ids],
        at,
        events_since=at - timedelta(hours=2),
    )
    later = at + timedelta(seconds=5)
    mirror.observe(
        tenant,
        [_seen(j, "FAILED", later) for j in job_ids],
        later,
        events_since=at - timedelta(hours=2),
    )


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def throughput(tenant, receiver: Receiver, threads: int, n: int = DELIVERIES) -> float:
    """Deliveries per second, `n` outbox rows drained by deliver_due with `threads`."""
    from jobs.notify.models import Delivery
    from jobs.notify.worker import deliver_due

    prefix = f"tp{threads}-"
    _fail(tenant, [f"{prefix}{i}" for i in range(n)], datetime.now(UTC))
    due = Delivery.objects.filter(tenant=tenant, state="pending").count()
    if due != n:
        raise RuntimeError(f"expected {n} pending deliveries, found {due}")
    started = time.perf_counter()
    while deliver_due(limit=max(threads * 8, 16), threads=threads):
        pass
    elapsed = time.perf_counter() - started
    sent = Delivery.objects.filter(
        tenant=tenant, state="sent", event__job__job_id__startswith=prefix
    )
    if sent.count() != n:
        raise RuntimeError(f"{n - sent.count()} deliveries not sent")
    return n / elapsed


def delay(tenant, receiver: Receiver, tick_seconds: float | None, samples: int) -> list[float]:
    """Milliseconds from the FAILED observation to the message's arrival. `tick_seconds`:
    the notifier ticks on that cadence in its own thread (None: once, right after)."""
    from django.db import connection

    from jobs.notify.worker import Notifier

    notifier = Notifier(threads=4)
    stop = threading.Event()
    ticker = None
    if tick_seconds is not None:

        def loop() -> None:
            try:
                while not stop.is_set():
                    notifier.tick()
                    stop.wait(tick_seconds)
            finally:
                connection.close()

        ticker = threading.Thread(target=loop, daemon=True)
        ticker.start()
    tag = "loop" if tick_seconds else "now"
    out = []
    rng = random.Random(7)
    try:
        for i in range(samples):
            job_id = f"delay-{tag}-{i}"
            from jobs.mirror import record as mirror

            at = datetime.now(UTC)
            mirror.observe(
                tenant,
                [_seen(job_id, "TRANSFERRING", at)],
                at,
                events_since=at - timedelta(hours=2),
            )
            started = time.perf_counter()
            later = at + timedelta(seconds=1)
            mirror.observe(
                tenant,
                [_seen(job_id, "FAILED", later)],
                later,
                events_since=at - timedelta(hours=2),
            )
            if tick_seconds is None:
                notifier.tick()
            out.append((receiver.wait_for(job_id) - started) * 1000)
            if tick_seconds is not None:  # not in step with the tick
                time.sleep(rng.uniform(0.05, tick_seconds))
    finally:
        stop.set()
        if ticker is not None:
            ticker.join(timeout=10)
        notifier.shutdown()
    return out


def rows(deliveries: int = DELIVERIES, samples: int = DELAY_SAMPLES) -> list[tuple[str, str]]:
    from django.conf import settings
    from django.db import connection

    from jobs.notify import services
    from jobs.sync.loop import TICK_SECONDS
    from jobs.tenants.models import Tenant

    allowed = settings.NOTIFY_ALLOW_PRIVATE_TARGETS
    settings.NOTIFY_ALLOW_PRIVATE_TARGETS = True  # the receiver is on loopback
    receiver = Receiver()
    tenant = Tenant(
        name=f"Bench notify {os.getpid()}",
        region="ap-southeast-3",
        project_id="bench",
        auth_method="aksk",
        access_key="AKBENCH",
        drs_endpoint="http://127.0.0.1:9",
        iam_endpoint="http://127.0.0.1:9",
    )
    tenant.secret_key = "bench"
    tenant.save()
    try:
        channel, receiver.secret = services.add_channel(
            tenant, "bench-hook", receiver.url, actor_name="bench"
        )
        services.add_rule(tenant, "failed", channel, actor_name="bench")
        per_second = {t: throughput(tenant, receiver, t, deliveries) for t in (1, 4)}
        now = delay(tenant, receiver, None, max(samples // 2, 10))
        loop = delay(tenant, receiver, TICK_SECONDS, samples)
        if receiver.bad or receiver.duplicates:
            raise RuntimeError(f"{receiver.bad} bad signatures, {receiver.duplicates} duplicates")
    finally:
        receiver.stop()
        from jobs.tenants.models import AuditEvent

        AuditEvent.objects.filter(tenant=tenant).delete()
        tenant.delete()
        settings.NOTIFY_ALLOW_PRIVATE_TARGETS = allowed
    vendor = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    return [
        (
            f"Notifications: webhook deliveries per second through the outbox, 1 thread "
            f"({deliveries} rows, {vendor})",
            f"{per_second[1]:.0f}/s",
        ),
        (
            f"Notifications: webhook deliveries per second through the outbox, 4 threads "
            f"({deliveries} rows, {vendor})",
            f"{per_second[4]:.0f}/s",
        ),
        (
            f"Notifications: transition seen by the sync → message received, `sync --loop` "
            f"notifier ({TICK_SECONDS:g} s tick, {len(loop)} samples)",
            f"p50 {statistics.median(loop):.0f} ms, p95 {_percentile(loop, 0.95):.0f} ms",
        ),
        (
            f"Notifications: the same without waiting for the tick (outbox write, claim, render, "
            f"sign, POST; {len(now)} samples)",
            f"p50 {statistics.median(now):.1f} ms, p95 {_percentile(now, 0.95):.1f} ms",
        ),
    ]


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from tests.bench.stack import ROOT, _drop_postgres_database, _postgres_database

    sys.path.insert(0, str(ROOT))
    created = None
    if "DATABASE_URL" not in os.environ:
        created = _postgres_database()
        os.environ["DATABASE_URL"] = (
            created[0] if created else f"sqlite:////tmp/drs-bench-notify-{os.getpid()}.sqlite3"
        )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    try:
        table = rows()
    finally:
        connections.close_all()
        if created:
            _drop_postgres_database(created[1])
        elif os.environ["DATABASE_URL"].startswith("sqlite:////tmp/drs-bench-notify-"):
            path = os.environ["DATABASE_URL"].removeprefix("sqlite:///")
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)
    print("| Measure | Result |\n|---|---|")
    for measure, result in table:
        print(f"| {measure} | {result} |")


if __name__ == "__main__":
    main()
