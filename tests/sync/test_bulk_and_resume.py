"""The first sync writes like a bulk load, a long full walk resumes where the last run stopped,
and a run that finds nothing new is cheap: over real HTTP against the simulator."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jobs.drs import normalise_status
from jobs.mirror.models import JobStatusChange, MirroredJob, TenantSyncState
from jobs.sync import tenant as tenant_module
from jobs.sync.tenant import sync_tenant
from tests.sync.conftest import delete_job, oldest_ids

pytestmark = pytest.mark.django_db


def mirror_of(tenant) -> dict[str, str]:
    return dict(MirroredJob.objects.filter(tenant=tenant).values_list("job_id", "status"))


def store_of(sim) -> dict[str, str]:
    return {i: normalise_status(sim.store.get(i)["status"]) for i in sim.store.ids()}


def writes(queries, table: str) -> dict[str, int]:
    """INSERT and UPDATE statements on `table` among captured queries."""
    found = {"INSERT": 0, "UPDATE": 0}
    for query in queries:
        match = re.match(r'\s*(INSERT INTO|UPDATE)\s+"?(\w+)"?', query["sql"])
        if match and match.group(2) == table:
            found[match.group(1).split()[0]] += 1
    return found


def test_first_sync_inserts_each_page_in_one_statement_and_never_updates_a_row(sim, sim_tenant):
    tenant = sim_tenant()
    jobs = len(sim.store)
    pages = -(-jobs // 10)  # pages of 10
    assert pages >= 3
    with CaptureQueriesContext(connection) as captured:
        result = sync_tenant(tenant)
    assert result.ok and result.complete
    assert mirror_of(tenant) == store_of(sim)
    assert writes(captured, MirroredJob._meta.db_table) == {"INSERT": pages, "UPDATE": 0}
    assert writes(captured, JobStatusChange._meta.db_table) == {"INSERT": pages, "UPDATE": 0}
    assert JobStatusChange.objects.filter(job__tenant=tenant).count() == jobs  # one each


def test_a_capped_walk_resumes_on_the_next_run_and_says_how_far_it_is(
    sim, sim_tenant, settings, monkeypatch
):
    settings.SYNC_MAX_PAGES = 2  # 20 jobs per run
    monkeypatch.setattr(tenant_module, "INCREMENTAL_PAGE", 10)  # the newest page: 10 jobs
    tenant = sim_tenant()
    jobs = len(sim.store)
    assert 40 < jobs <= 60  # three runs
    first = sync_tenant(tenant)
    assert not first.ok and first.incomplete and not first.complete
    said = f"20 of {jobs} jobs walked ({int(2000 / jobs)}%)"
    assert said in first.note, first.note
    state = TenantSyncState.objects.get(tenant=tenant)
    assert (state.walk_offset, state.walk_count, state.last_success_at) == (20, jobs, None)
    assert said in state.last_note and state.walk_started_at is not None
    assert MirroredJob.objects.filter(tenant=tenant).count() == 20
    began = state.walk_started_at

    middle = sync_tenant(tenant)  # the newest page first (nothing new), then from job 20 on
    assert not middle.ok and f"40 of {jobs} jobs walked" in middle.note, middle.note
    assert MirroredJob.objects.filter(tenant=tenant).count() == 40

    last = sync_tenant(tenant)
    assert last.ok and last.full and last.complete, last
    assert mirror_of(tenant) == store_of(sim)
    state.refresh_from_db()
    assert (state.walk_offset, state.walk_count, state.walk_started_at) == (0, None, None)
    # The complete walk counts from when it began (the first run), not the run that ended it.
    assert state.last_success_at and state.last_full_walk_at == began
    assert JobStatusChange.objects.filter(job__tenant=tenant).count() == jobs  # none twice


def test_a_walk_stopped_by_the_call_budget_resumes_and_finds_deletions(sim, sim_tenant, settings):
    tenant = sim_tenant()
    sync_tenant(tenant)
    jobs = len(sim.store)
    settings.SYNC_CALLS_PER_MINUTE = 4  # four calls a minute: 40 jobs of a full walk at most
    gone = oldest_ids(sim, 1)[0]
    delete_job(sim, gone)
    cache.clear()  # a minute later
    runs = []
    while len(runs) < 8 and not (runs and runs[-1].ok):
        runs.append(sync_tenant(tenant, full=None if runs else True))
        cache.clear()  # the minute passes: the budget's permits expire
    first = runs[0]
    assert not first.ok and f"40 of {jobs - 1} jobs walked" in first.note, first.note
    assert "budget" in first.note
    assert runs[-1].ok and len(runs) >= 2, [r.note for r in runs]
    row = MirroredJob.objects.get(tenant=tenant, job_id=gone)
    assert row.deleted_at is not None  # not seen since the walk began: its detail said gone
    assert MirroredJob.objects.filter(tenant=tenant).alive().count() == jobs - 1


def test_a_run_that_finds_nothing_new_costs_three_queries(sim, sim_tenant, settings):
    settings.SYNC_BACKFILL_PER_RUN = 0  # as once every detail is known (tests/chains)
    tenant = sim_tenant()
    assert sync_tenant(tenant).ok
    with CaptureQueriesContext(connection) as captured:
        result = sync_tenant(tenant)
    assert result.ok and not result.full and result.calls == 1
    assert len(captured) <= 3, [q["sql"][:80] for q in captured]
    # Its CPU cost is the bench's figure (tests/bench/sync.py, "a tenant run that finds nothing
    # new"), not a timed test's: on a shared machine the clock measures the neighbours.


def test_with_a_job_running_a_run_that_finds_nothing_new_costs_four(sim, sim_tenant, settings):
    """The running job is on the page read, unchanged: no reconciliation query; its stall check
    reads the running rows once (the typical durations are remembered); the awaiting-cutover
    check is the notifier's sweep, not every run's."""
    settings.SYNC_BACKFILL_PER_RUN = 0
    tenant = sim_tenant()
    running = sim.add_live_job(3600)
    assert sync_tenant(tenant).ok
    assert sync_tenant(tenant).ok  # its detail fetched; from now on nothing is new
    assert MirroredJob.objects.filter(tenant=tenant).running().filter(job_id=running).exists()
    with CaptureQueriesContext(connection) as captured:
        result = sync_tenant(tenant)
    assert result.ok and not result.full and result.calls == 1
    statements = [q["sql"] for q in captured]
    assert len(statements) <= 4, [q[:80] for q in statements]
    assert not [q for q in statements if "jobs_chain" in q]
