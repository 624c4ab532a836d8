"""The fleet pages' rollups (`jobs.mirror.rollups`) kept by the sync over real HTTP against the
simulator: after every run of a sequence with new jobs, a status change, a deletion in DRS and
the job's return, they equal a rebuild from the mirror rows; `manage.py rollups rebuild` says
so and corrects rollups that drifted; the pages' figures read from them equal the figures read
from the rows."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Sum
from django.utils import timezone

from jobs.chains import figures
from jobs.fleet import selectors
from jobs.mirror import rollups
from jobs.mirror.models import (
    TERMINAL_STATUSES,
    Chain,
    ChainDay,
    JobDay,
    MirroredJob,
)
from jobs.simulator import Simulator, SimulatorConfig
from jobs.sync.tenant import sync_tenant
from tests.chains.conftest import job_named, make_tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain_sim():
    """A simulator of our own with seeded migrations, so the test may delete jobs freely."""
    config = SimulatorConfig(
        bulk_jobs=20, live_jobs=0, seed_faults=False, chains=True, extra_projects={}
    )
    server = Simulator(config).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _rollup_settings(settings):
    settings.SYNC_PAGE_SIZE = 10  # several pages: several statements' worth of moves
    settings.SYNC_CALLS_PER_MINUTE = 1000
    settings.SYNC_BACKFILL_PER_RUN = 100  # the details, so jobs join their chains
    settings.DRS_READ_TIMEOUT = 1.5
    settings.DRS_DEADLINE = 3


def consistent(tenant) -> None:
    """The incremental rollups are what a rebuild would write, and they are not empty."""
    stored, expected = rollups.stored(tenant.pk), rollups.expected(tenant.pk)
    assert stored[0] == expected[0]
    assert stored[1] == expected[1]
    assert stored[0] and stored[1]


def sync(tenant, **options) -> None:
    result = sync_tenant(tenant, **options)
    assert result.ok, result.error or result.note
    consistent(tenant)


def bucket(tenant, status: str, when: datetime, deleted: bool = False) -> int:
    day = when.astimezone(UTC).date()
    row = JobDay.objects.filter(tenant=tenant, day=day, status=status, deleted=deleted).first()
    return row.jobs if row else 0


def rebuild(*args) -> str:
    out = io.StringIO()
    call_command("rollups", "rebuild", *args, stdout=out)
    return out.getvalue()


def test_rollups_follow_syncs_and_equal_a_rebuild(chain_sim):
    tenant = make_tenant(chain_sim)
    for _ in range(6):  # the list first, then the details back-filled: jobs join chains
        sync(tenant)
        if not MirroredJob.objects.filter(tenant=tenant, snapshot=None).alive().exists():
            break
    assert sum(JobDay.objects.filter(tenant=tenant).values_list("chain_jobs", flat=True)) > 0
    assert ChainDay.objects.filter(tenant=tenant, state="online").exists()

    # A new job runs, then fails: it moves from TRANSFERRING to FAILED once.
    job_id = chain_sim.add_live_job(1.0, "FAILED", error_log="Msg 3201, Level 16")
    sync(tenant)
    row = MirroredJob.objects.get(tenant=tenant, job_id=job_id)
    assert row.status == "TRANSFERRING"
    running, failed = (
        bucket(tenant, "TRANSFERRING", row.create_time),
        bucket(tenant, "FAILED", row.create_time),
    )
    assert running >= 1
    time.sleep(2.1)
    sync(tenant)
    sync(tenant)  # seen again, unchanged: nothing moves twice
    assert bucket(tenant, "TRANSFERRING", row.create_time) == running - 1
    assert bucket(tenant, "FAILED", row.create_time) == failed + 1

    # A step of a migration deleted in DRS: into the deleted ones' bucket (the pages leave it
    # out, the restore volume keeps it); then it comes back.
    gone = job_named(chain_sim, "mig-ledger-log-01")
    created = MirroredJob.objects.get(tenant=tenant, job_id=gone).create_time
    status = MirroredJob.objects.get(tenant=tenant, job_id=gone).status
    alive_before = bucket(tenant, status, created)
    removed = chain_sim.store.job(gone)
    chain_sim.store.remove(gone)
    try:
        sync(tenant, full=True)
    finally:
        chain_sim.store.add(removed)
    assert MirroredJob.objects.get(tenant=tenant, job_id=gone).deleted_at is not None
    assert bucket(tenant, status, created) == alive_before - 1
    assert bucket(tenant, status, created, deleted=True) == 1
    sync(tenant, full=True)  # it re-appears in the list
    assert MirroredJob.objects.get(tenant=tenant, job_id=gone).deleted_at is None
    assert bucket(tenant, status, created) == alive_before
    assert bucket(tenant, status, created, deleted=True) == 0

    # Every alive job with a create time is counted once.
    counted = JobDay.objects.filter(tenant=tenant, deleted=False).aggregate(n=Sum("jobs"))["n"]
    rows = MirroredJob.objects.filter(tenant=tenant, create_time__isnull=False).alive()
    assert counted == rows.count() > 20

    # The command agrees, twice; and corrects rollups that drifted.
    assert f"{tenant.slug}: " in rebuild(tenant.slug) and "unchanged" in rebuild(tenant.slug)
    assert "0 had differed" in rebuild()
    JobDay.objects.filter(tenant=tenant, status="FAILED").update(jobs=F("jobs") + 5)
    ChainDay.objects.filter(tenant=tenant).delete()
    said = rebuild(tenant.slug)
    assert "corrected" in said and "1 had differed" in said
    consistent(tenant)
    assert "unchanged" in rebuild(tenant.slug)


def test_rebuild_of_an_unknown_tenant_fails(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No tenant"):
        rebuild("nobody")


def test_the_pages_figures_from_rollups_equal_the_rows(chain_sim, monkeypatch):
    tenant = make_tenant(chain_sim)
    other = make_tenant(chain_sim, name="Second")
    for each in (tenant, other):
        for _ in range(4):
            sync(each)
    chain_sim.add_live_job(600, "SUCCESS")
    sync(tenant)
    tenants = [tenant, other]
    now = timezone.now()
    week = now - timedelta(days=7)
    spans = [figures.period(name) for name in ("today", "week", "month", "all")]
    kept = (
        selectors.per_day(tenants, 30),
        sorted(selectors.finished_since(tenants, week)),
        [figures.online_per_week(tenants, s) for s in spans],
        [figures.volume_per_day(tenants, s) for s in spans],
        [figures.by_tenant(tenants, s, now) for s in spans],
    )
    assert any(day.total for day in kept[0]) and kept[1]
    assert any(row.total for rows in kept[4] for row in rows)
    assert any(bar.value for bars in kept[3] for bar in bars)
    # The same figures from the mirror rows and chains (the path of a viewer in another zone).
    monkeypatch.setattr(rollups, "utc_days", lambda *args: False)
    monkeypatch.setattr(figures, "_counted_from_rollups", lambda span: False)
    raw = (
        MirroredJob.objects.filter(
            tenant__in=tenants, create_time__gte=week, status__in=TERMINAL_STATUSES
        )
        .alive()
        .values("tenant_id", "status")
        .annotate(n=Count("*"))
        .values_list("tenant_id", "status", "n")
        .order_by()
    )
    assert kept == (
        selectors.per_day(tenants, 30),
        sorted(raw),
        [figures.online_per_week(tenants, s) for s in spans],
        [figures.volume_per_day(tenants, s) for s in spans],
        [figures.by_tenant(tenants, s, now) for s in spans],
    )


def test_the_ages_of_databases_awaiting_are_counted_in_their_buckets(chain_sim):
    tenant = make_tenant(chain_sim)
    for _ in range(4):
        sync(tenant)
    now = timezone.now()
    since = Chain.objects.filter(tenant=tenant, state=Chain.State.AWAITING).values_list(
        "since", flat=True
    )
    expected = [0] * len(figures.AGE_BUCKETS)
    for moment in since:
        ages = [limit is None or now - moment < limit for limit, _label in figures.AGE_BUCKETS]
        expected[ages.index(True)] += 1
    bars = figures.awaiting_ages([tenant], figures.all_time(), now)
    assert [bar.value for bar in bars] == expected
    assert sum(expected) >= 2 and sum(1 for n in expected if n) >= 2  # the seed waits for days


def test_only_days_that_are_utc_days_are_read_from_rollups():
    from zoneinfo import ZoneInfo

    def midnight(zone: str, day: str) -> datetime:
        return datetime.fromisoformat(day).replace(tzinfo=ZoneInfo(zone))

    for zone, first, last, expected in (
        ("UTC", "2026-03-01", "2026-04-01", True),
        ("Europe/London", "2026-01-05", "2026-01-19", True),  # winter: offset 0
        ("Europe/London", "2026-03-20", "2026-04-03", False),  # summer time from 29 March
        ("Asia/Shanghai", "2026-01-05", "2026-01-19", False),
        ("Asia/Kolkata", "2026-01-05", "2026-01-19", False),
    ):
        start, end = midnight(zone, first), midnight(zone, last)
        assert rollups.utc_days(ZoneInfo(zone), start, end) is expected, zone


def test_the_longest_job_leaving_its_bucket_gives_it_the_next_longest(sim_tenant):
    from jobs.mirror import record

    tenant = sim_tenant()
    day = timezone.now().replace(hour=1, minute=0, second=0, microsecond=0) - timedelta(days=2)

    def seen(job_id: str, status: str, minutes: int | None) -> record.Seen:
        return record.Seen(
            job_id=job_id,
            name=job_id,
            status=status,
            engine_type="sqlserver",
            error_log="",
            description="",
            create_time=day,
            finish_time=day + timedelta(minutes=minutes) if minutes else None,
            enterprise_project_id="0",
        )

    ids = [f"0667845a-6291-4e2a-95b0-00000000000{n}" for n in range(3)]
    at = timezone.now()
    record.observe(
        tenant,
        [seen(ids[0], "SUCCESS", 10), seen(ids[1], "SUCCESS", 60), seen(ids[2], "FAILED", 5)],
        at,
        events_since=None,
    )
    success = JobDay.objects.get(tenant=tenant, status="SUCCESS", deleted=False)
    assert (success.jobs, success.timed, success.duration_total, success.duration_max) == (
        2,
        2,
        70 * 60,
        60 * 60,
    )
    assert record.mark_deleted(tenant, ids[1], at + timedelta(seconds=1))
    success.refresh_from_db()
    assert (success.jobs, success.duration_total, success.duration_max) == (1, 600, 600)
    gone = JobDay.objects.get(tenant=tenant, status="SUCCESS", deleted=True)
    assert (gone.jobs, gone.duration_max) == (1, 3600)
    # Retried: the failed one succeeds after 90 minutes; the 60-minute one comes back.
    record.observe(
        tenant,
        [seen(ids[2], "SUCCESS", 90), seen(ids[1], "SUCCESS", 60)],
        at + timedelta(seconds=2),
        events_since=None,
    )
    success.refresh_from_db()
    assert (success.jobs, success.duration_total, success.duration_max) == (3, 160 * 60, 90 * 60)
    failed = JobDay.objects.get(tenant=tenant, status="FAILED")
    assert (failed.jobs, failed.timed, failed.duration_max) == (0, 0, 0)
    assert rollups.stored(tenant.pk) == rollups.expected(tenant.pk)
