"""The fleet the page benches read: TENANTS × JOBS mirror rows, written straight to the database
(not through the sync), in chains of 10 jobs per database — a full restore, log restores, the
cutover — with the states a real fleet has: most databases online or awaiting their next
backup, one in five blocked by a failed step (three causes, signatures as the sync stores them),
the newest two per tenant restoring (their last step running). Then each tenant's rollups are
rebuilt from the rows (`manage.py rollups rebuild` does the same), and a superuser `bench`.

    DATABASE_URL=postgres://drs:drs@127.0.0.1:5432/drs_bench_1000x1000 \
    python -m tests.bench.seed 1000 1000

Resumable: tenants are written whole, one transaction each; a second run adds what is missing.
"""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import timedelta

STEPS = 10
LOGS = [
    "Msg 3201, Level 16\nCannot open backup device 'x.bak'. Operating system error 2.",
    "Msg 4305, Level 16\nThe log in this backup set begins at LSN 1, which is too recent.",
    "Msg 3257, Level 16\nThere is insufficient free space on disk volume 'D:\\'.",
]
RESTORING_PER_TENANT = 2  # the newest chains: their last step is running
PREFIX = "fleet-"
PASSWORD = "bench-password-123"


def slug(n: int) -> str:
    return f"{PREFIX}{n:04d}"


def chain_state(c: int, chains: int) -> str:
    if c >= chains - RESTORING_PER_TENANT:
        return "restoring"
    return ("online", "failed", "awaiting", "awaiting", "online")[c % 5]


def seed(tenants: int, jobs: int) -> dict:
    from django.contrib.auth.models import User
    from django.db import connection, transaction
    from django.utils import timezone

    from jobs.mirror import rollups
    from jobs.tenants.models import Tenant

    began = time.perf_counter()
    now = timezone.now()
    done = set(Tenant.objects.filter(slug__startswith=PREFIX).values_list("slug", flat=True))
    added = [n for n in range(tenants) if slug(n) not in done]
    for n in added:
        with transaction.atomic():
            tenant = _seed_tenant(n, jobs, now)
            rollups.rebuild(tenant.pk)
    if added and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("jobs_mirroredjob", "jobs_chain", "jobs_chainstep", "jobs_jobday"):
                cursor.execute(f"VACUUM ANALYZE {table}")
    if not User.objects.filter(username="bench").exists():
        User.objects.create_superuser("bench", "bench@example.com", PASSWORD)
    return {"tenants_added": len(added), "seconds": round(time.perf_counter() - began, 1)}


def _seed_tenant(n: int, jobs: int, now):
    from jobs.hints import signature
    from jobs.mirror.models import Chain, ChainStep, MirroredJob, TenantSyncState
    from jobs.tenants.models import Tenant

    rng = random.Random(11 + n)
    signatures = {log: signature(log) for log in LOGS}
    tenant = Tenant.objects.create(
        name=f"Fleet {n:04d}",
        slug=slug(n),
        region="ap-southeast-3",
        project_id=f"fl{n:04d}",
        auth_method="aksk",
        access_key="AK",
        drs_endpoint="http://127.0.0.1:9",  # nothing listens: a page that calls DRS fails
        iam_endpoint="http://127.0.0.1:9",
    )
    chains = jobs // STEPS
    running = RESTORING_PER_TENANT * (chains >= RESTORING_PER_TENANT)
    TenantSyncState.objects.create(
        tenant=tenant,
        last_success_at=now,
        jobs_total=jobs,
        details_known=jobs,
        running_jobs=running,
    )
    rows = []
    for i in range(jobs):
        c, last = i // STEPS, i % STEPS == STEPS - 1
        state = chain_state(c, chains) if c < chains else "online"
        created = now - timedelta(minutes=(jobs - i) * 5 + rng.random())
        status, log = "SUCCESS", ""
        if last and state == "failed":
            status = "PRECHECK FAILED" if c % 3 == 0 else "FAILED"
            log = rng.choice(LOGS)
        elif last and state == "restoring":
            status = "TRANSFERRING"
        rows.append(
            MirroredJob(
                tenant=tenant,
                job_id=f"{n:08x}-{i:04x}-0000-0000-chain{i:07d}",
                name=f"mig-db{c:05d}-{i % STEPS}",
                status=status,
                engine_type="sqlserver",
                create_time=created,
                finish_time=None if status == "TRANSFERRING" else created + timedelta(minutes=3),
                error_log=log,
                failure_signature=signatures.get(log, ""),
                total_bytes=rng.randint(10**7, 10**10),
                size_class=rng.randint(13, 18),
                first_seen_at=now,
                last_seen_at=now,
                synced_at=now,
            )
        )
    MirroredJob.objects.bulk_create(rows, batch_size=2000)
    ids = dict(MirroredJob.objects.filter(tenant=tenant).values_list("job_id", "pk"))
    made = []
    for c in range(chains):
        first, last = rows[c * STEPS], rows[c * STEPS + STEPS - 1]
        state = chain_state(c, chains)
        made.append(
            Chain(
                tenant=tenant,
                target_instance_id=f"inst{c % 20:02d}in04",
                database=f"DB{c:05d}",
                instance_name=f"rds-{c % 20:02d}",
                state=state,
                since=last.finish_time or last.create_time,
                started_at=first.create_time,
                steps=STEPS,
                failed_step=STEPS if state == "failed" else None,
                bucket=f"bucket-{c % 7}",
                last_job_id=ids[last.job_id],
                updated_at=now,
            )
        )
    Chain.objects.bulk_create(made, batch_size=2000)
    chain_ids = dict(Chain.objects.filter(tenant=tenant).values_list("database", "pk"))
    ChainStep.objects.bulk_create(
        [
            ChainStep(
                chain_id=chain_ids[f"DB{i // STEPS:05d}"],
                job_id=ids[row.job_id],
                create_time=row.create_time,
                run=1,
                position=i % STEPS + 1,
                full=i % STEPS == 0,
                last_backup=i % STEPS == STEPS - 1 and chain_state(i // STEPS, chains) == "online",
                file_count=3,
            )
            for i, row in enumerate(rows)
            if i // STEPS < chains
        ],
        batch_size=5000,
    )
    return tenant


if __name__ == "__main__":
    import json

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(json.dumps(seed(*(int(a) for a in sys.argv[1:3]))))
