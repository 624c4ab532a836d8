"""Fleet pages over a big mirror: seeds TENANTS × JOBS mirror rows and times the overview,
failures and a tenant list (server time through the test client; no upstream call is possible:
the tenants point at a closed port, and any DRS call is counted). Prints the figures as JSON.

    DATABASE_URL=postgres://drs:drs@127.0.0.1:5432/drs_bench_mirror \
    REDIS_URL=redis://127.0.0.1:6379/5 python -m tests.bench.mirror [TENANTS JOBS]

The seed stays in that database and is reused by the next run with as many tenants.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/drs-bench-mirror.sqlite3")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from jobs.drs import DrsClient  # noqa: E402
from jobs.hints import signature  # noqa: E402
from jobs.mirror.models import (  # noqa: E402
    MirroredJob,
    TenantSyncState,
)
from jobs.tenants.models import Tenant  # noqa: E402

# The newest 5 jobs of each tenant are running; older ones have finished.
STATUSES = ["SUCCESS"] * 85 + ["FAILED"] * 12 + ["PRECHECK FAILED"] * 3
LOGS = [
    "Msg 3201, Level 16\nCannot open backup device 'x.bak'. Operating system error 2.",
    "Msg 4305, Level 16\nThe log in this backup set begins at LSN 1, which is too recent.",
    "Msg 3257, Level 16\nThere is insufficient free space on disk volume 'D:\\'.",
]


def seed(tenants: int, jobs: int) -> None:
    if Tenant.objects.filter(slug__startswith="bench-").count() >= tenants:
        return
    rng = random.Random(7)
    now = timezone.now()
    signatures = {log: signature(log) for log in LOGS}
    for n in range(tenants):
        tenant = Tenant.objects.create(
            name=f"Bench {n:03d}",
            slug=f"bench-{n:03d}",
            region="ap-southeast-3",
            project_id=f"bench{n:03d}",
            auth_method="aksk",
            access_key="AK",
            drs_endpoint="http://127.0.0.1:9",
            iam_endpoint="http://127.0.0.1:9",
        )
        TenantSyncState.objects.create(
            tenant=tenant, last_success_at=now, running_jobs=5, jobs_total=jobs
        )
        rows = []
        for i in range(jobs):
            created = now - timedelta(minutes=i * 7 + rng.random())
            status = rng.choice(STATUSES) if i >= 5 else "TRANSFERRING"
            done = status != "TRANSFERRING"
            log = rng.choice(LOGS) if "FAILED" in status else ""
            rows.append(
                MirroredJob(
                    tenant=tenant,
                    job_id=f"{n:08x}-{i:04x}-0000-0000-bench{i:07d}",
                    name=f"job-{i}",
                    status=status,
                    engine_type="sqlserver",
                    create_time=created,
                    finish_time=created + timedelta(minutes=rng.randint(5, 90)) if done else None,
                    error_log=log,
                    failure_signature=signatures.get(log, ""),
                    total_bytes=rng.randint(10**8, 10**11),
                    size_class=rng.randint(13, 18),
                    first_seen_at=now,
                    last_seen_at=now,
                    synced_at=now,
                )
            )
        MirroredJob.objects.bulk_create(rows, batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE jobs_mirroredjob")


def rollups_for(prefix: str) -> float:
    """The seed writes mirror rows directly, not through the sync: its tenants' rollups are
    rebuilt from them (`manage.py rollups rebuild`) once. Seconds it took (0: already there)."""
    from jobs.mirror import rollups
    from jobs.mirror.models import JobDay

    tenants = Tenant.objects.filter(slug__startswith=prefix)
    if JobDay.objects.filter(tenant__in=tenants).exists():
        return 0.0
    began = time.perf_counter()
    for tenant_id in tenants.values_list("pk", flat=True):
        rollups.rebuild(tenant_id)
    return round(time.perf_counter() - began, 1)


def timed(client: Client, url: str, repeat: int = 5, **headers) -> float:
    client.get(url, **headers)  # warm
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        response = client.get(url, **headers)
        samples.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples)


def aggregates(repeat: int = 5) -> dict[str, float]:
    """The overview's aggregate figures over all bench tenants, median ms: the per-day chart and
    the 7-day counts from the rollups (as the page reads them) and from the rows (as it did,
    and still does for a viewer whose days are not UTC days)."""
    from django.db.models import Count

    from jobs.fleet import selectors
    from jobs.mirror import rollups
    from jobs.mirror.models import TERMINAL_STATUSES

    tenants = list(Tenant.objects.filter(slug__startswith="bench-"))
    week = timezone.now() - timedelta(days=7)

    def rows_7d():
        return list(
            selectors.mirror(tenants)
            .filter(create_time__gte=week, status__in=TERMINAL_STATUSES)
            .values("tenant_id", "status")
            .annotate(n=Count("*"))
            .order_by()
        )

    def ms(call) -> float:
        call()
        samples = []
        for _ in range(repeat):
            began = time.perf_counter()
            call()
            samples.append((time.perf_counter() - began) * 1000)
        return round(statistics.median(samples), 2)

    figures = {
        "per_day_rollups_ms": ms(lambda: selectors.per_day(tenants)),
        "counts_7d_rollups_ms": ms(lambda: selectors.finished_since(tenants, week)),
        "counts_7d_rows_ms": ms(rows_7d),
    }
    real = rollups.utc_days
    rollups.utc_days = lambda *args: False
    try:
        figures["per_day_rows_ms"] = ms(lambda: selectors.per_day(tenants))
    finally:
        rollups.utc_days = real
    return figures


def run(tenants: int = 100, jobs: int = 10_000) -> dict[str, float]:
    """Median server time in ms for each page, and the upstream calls they made (0)."""
    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    seed(tenants, jobs)
    seeded = time.perf_counter() - began
    rebuilt = rollups_for("bench-")
    setup_test_environment()
    from django.conf import settings
    from django.contrib.auth.models import User

    user = User.objects.filter(username="bench").first() or User.objects.create_superuser(
        "bench", "bench@example.com", "bench-password-123"
    )
    calls = {"n": 0}
    real_get = DrsClient._get

    def counting(self, *args, **kwargs):
        calls["n"] += 1
        return real_get(self, *args, **kwargs)

    DrsClient._get = counting
    client = Client()
    client.force_login(user)
    figures = {
        "seed_s": round(seeded, 1),
        "rollups_rebuild_s": rebuilt,
        "overview_ms": timed(client, "/"),
        "failures_ms": timed(client, "/failures/?days=7"),
        "list_ms": timed(client, f"/tenants/bench-{tenants // 2:03d}/jobs/?status=&size=25"),
        "list_failed_page_9_ms": timed(
            client, f"/tenants/bench-{tenants // 2:03d}/jobs/?status=FAILED&page=9"
        ),
    }
    # The read API's jobs endpoint: one page of 100 of a 10,000-job tenant, with a token.
    from jobs.api import tokens

    tokens.own(user).filter(name="bench").delete()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(user, 'bench', days=1)[1]}"}
    api = f"/api/v1/tenants/bench-{tenants // 2:03d}/jobs"
    figures["api_jobs_100_ms"] = timed(client, f"{api}?size=100", **bearer)
    figures["api_jobs_failed_page_5_ms"] = timed(
        client, f"{api}?size=100&status=FAILED&page=5", **bearer
    )
    figures.update(aggregates())
    figures["upstream_calls"] = calls["n"]
    figures["database"] = connection.vendor
    figures["cache"] = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    DrsClient._get = real_get
    return figures


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    print(json.dumps(run(*args)))
