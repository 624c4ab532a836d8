"""Migration pages and search over a big mirror: seeds TENANTS × JOBS mirror rows in chains of
10 jobs (a full restore, log restores, the cutover on every other chain) and times the pages
in-process (server time through the test client; the tenants point at a closed port and any
DRS call is counted). Prints the figures as JSON.

    DATABASE_URL=sqlite:////tmp/drs-bench-chains.sqlite3 python -m tests.bench.chains [TENANTS JOBS]
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/drs-bench-chains.sqlite3")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from jobs.drs import DrsClient  # noqa: E402
from jobs.mirror.models import Chain, ChainStep, MirroredJob, TenantSyncState  # noqa: E402
from jobs.tenants.models import Tenant  # noqa: E402
from tests.bench.mirror import rollups_for, timed  # noqa: E402

STEPS = 10
STATES = ["online", "awaiting", "failed", "restoring"]


def seed(tenants: int, jobs: int) -> None:
    now = timezone.now()
    done = set(Tenant.objects.filter(slug__startswith="chains-").values_list("slug", flat=True))
    for n in range(tenants):
        if f"chains-{n:04d}" not in done:
            with transaction.atomic():  # a run stopped midway resumes at a whole tenant
                _seed_tenant(n, jobs, now)


def _seed_tenant(n: int, jobs: int, now) -> None:
    rng = random.Random(11 + n)
    tenant = Tenant.objects.create(
        name=f"Chains {n:04d}",
        slug=f"chains-{n:04d}",
        region="ap-southeast-3",
        project_id=f"ch{n:04d}",
        auth_method="aksk",
        access_key="AK",
        drs_endpoint="http://127.0.0.1:9",
        iam_endpoint="http://127.0.0.1:9",
    )
    TenantSyncState.objects.create(tenant=tenant, last_success_at=now, jobs_total=jobs)
    rows = [
        MirroredJob(
            tenant=tenant,
            job_id=f"{n:08x}-{i:04x}-0000-0000-chain{i:07d}",
            name=f"mig-db{i // STEPS:05d}-{i % STEPS}",
            status="SUCCESS",
            engine_type="sqlserver",
            create_time=now - timedelta(minutes=(jobs - i) * 5),
            finish_time=now - timedelta(minutes=(jobs - i) * 5 - 3),
            total_bytes=rng.randint(10**7, 10**10),
            first_seen_at=now,
            last_seen_at=now,
            synced_at=now,
        )
        for i in range(jobs)
    ]
    MirroredJob.objects.bulk_create(rows, batch_size=2000)
    ids = dict(MirroredJob.objects.filter(tenant=tenant).values_list("job_id", "pk"))
    chains = []
    for c in range(jobs // STEPS):
        last = rows[c * STEPS + STEPS - 1]
        chains.append(
            Chain(
                tenant=tenant,
                target_instance_id=f"inst{c % 20:02d}in04",
                database=f"DB{c:05d}",
                instance_name=f"rds-{c % 20:02d}",
                state=STATES[c % 4],
                since=last.finish_time,
                started_at=rows[c * STEPS].create_time,
                steps=STEPS,
                bucket=f"bucket-{c % 7}",
                last_job_id=ids[last.job_id],
                updated_at=now,
            )
        )
    Chain.objects.bulk_create(chains, batch_size=2000)
    chain_ids = dict(Chain.objects.filter(tenant=tenant).values_list("database", "pk"))
    steps = [
        ChainStep(
            chain_id=chain_ids[f"DB{i // STEPS:05d}"],
            job_id=ids[row.job_id],
            create_time=row.create_time,
            run=1,
            position=i % STEPS + 1,
            full=i % STEPS == 0,
            last_backup=i % STEPS == STEPS - 1,
            file_count=3,
        )
        for i, row in enumerate(rows)
        if i // STEPS < jobs // STEPS
    ]
    ChainStep.objects.bulk_create(steps, batch_size=5000)


def run(tenants: int = 100, jobs: int = 10_000) -> dict:
    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    seed(tenants, jobs)
    seeded = time.perf_counter() - began
    rebuilt = rollups_for("chains-")
    setup_test_environment()
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
    one = f"chains-{tenants // 2:04d}"
    figures = {
        "tenants": tenants,
        "jobs_per_tenant": jobs,
        "seed_s": round(seeded, 1),
        "rollups_rebuild_s": rebuilt,
        "migrations_week_ms": timed(client, "/migrations/?period=week"),
        "migrations_all_ms": timed(client, "/migrations/?period=all"),
        "tenant_migrations_ms": timed(client, f"/tenants/{one}/migrations/"),
        "tenant_migrations_stalled_ms": timed(client, f"/tenants/{one}/migrations/?state=stalled"),
        "migration_ms": timed(client, f"/tenants/{one}/migrations/inst03in04/DB00003/"),
        "overview_ms": timed(client, "/"),
        "search_database_ms": timed(client, "/jobs/lookup/?q=DB00042"),
        "search_partial_id_ms": timed(client, f"/jobs/lookup/?q={(tenants // 2):08x}-0007"),
        "search_name_ms": timed(client, "/jobs/lookup/?q=mig-db00042-3"),
    }
    figures["upstream_calls"] = calls["n"]
    figures["database"] = connection.vendor
    DrsClient._get = real_get
    return figures


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    print(json.dumps(run(*args)))
