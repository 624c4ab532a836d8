"""The unit of work over real HTTP: first sync, transitions, renames, deletions, crashes."""

from __future__ import annotations

import time

import pytest

from jobs.drs import normalise_status
from jobs.mirror import record as mirror_module
from jobs.mirror.models import JobEvent, JobStatusChange, MirroredJob, TenantSyncState
from jobs.sync.tenant import Run, sync_tenant
from tests.sync.conftest import delete_job, oldest_ids, rename_job

pytestmark = pytest.mark.django_db


def mirror_of(tenant) -> dict[str, str]:
    return dict(MirroredJob.objects.filter(tenant=tenant).values_list("job_id", "status"))


def store_of(sim) -> dict[str, str]:
    return {i: normalise_status(sim.store.get(i)["status"]) for i in sim.store.ids()}


def test_first_sync_mirrors_every_job_without_events(sim, sim_tenant):
    tenant = sim_tenant()
    result = sync_tenant(tenant)
    assert result.ok and result.full and result.complete, result
    assert mirror_of(tenant) == store_of(sim)
    assert JobEvent.objects.count() == 0  # the fleet's past is not news
    assert JobStatusChange.objects.filter(job__tenant=tenant).count() == len(sim.store)
    state = TenantSyncState.objects.get(tenant=tenant)
    assert state.last_success_at and state.last_full_walk_at and not state.error
    assert state.last_calls == result.calls == sim.calls("/v5/")


def test_second_sync_is_incremental(sim, sim_tenant):
    tenant = sim_tenant()
    sync_tenant(tenant)
    sim.reset_counters()
    result = sync_tenant(tenant)
    assert result.ok and not result.full
    assert sim.calls("/v5/") == 1  # one page of the newest jobs, nothing running


def test_transition_is_recorded_with_upstream_time_when_nobody_watches(sim, sim_tenant):
    tenant = sim_tenant()
    sync_tenant(tenant)
    job_id = sim.add_live_job(1.0, "FAILED", error_log="Msg 3201, Level 16")
    sync_tenant(tenant)
    row = MirroredJob.objects.get(tenant=tenant, job_id=job_id)
    assert row.status == "TRANSFERRING" and row.snapshot_id and not row.needs_detail
    time.sleep(2.1)
    sync_tenant(tenant)
    row.refresh_from_db()
    upstream = sim.store.get(job_id)
    assert row.status == "FAILED" and row.error_log.startswith("Msg 3201")
    history = list(row.history.all())
    assert [h.status for h in history] == ["TRANSFERRING", "FAILED"]
    finished = history[-1].finish_time
    assert finished is not None
    assert finished.strftime("%Y-%m-%dT%H:%M:%SZ") == upstream["finish_time"]
    assert history[-1].happened_at == finished
    (event,) = JobEvent.objects.filter(job=row)
    assert event.kind == "failed" and event.occurred_at == finished
    assert event.detail == {"status": "FAILED", "previous": "TRANSFERRING"}


def test_job_that_started_and_finished_between_syncs_is_news(sim, sim_tenant):
    tenant = sim_tenant()
    sync_tenant(tenant)
    job_id = sim.add_live_job(0.2, "SUCCESS")
    time.sleep(1.1)
    sync_tenant(tenant)
    assert list(JobEvent.objects.values_list("job__job_id", "kind")) == [(job_id, "succeeded")]


def test_rename_and_deletion_of_old_jobs_are_noticed(sim, sim_tenant):
    tenant = sim_tenant()
    sync_tenant(tenant)
    renamed, deleted = oldest_ids(sim, 2)
    rename_job(sim, renamed, "renamed-by-the-dba")
    delete_job(sim, deleted)
    result = sync_tenant(tenant, full=True)
    assert result.ok and result.deleted == 1
    row = MirroredJob.objects.get(tenant=tenant, job_id=renamed)
    assert row.name == "renamed-by-the-dba"
    gone = MirroredJob.objects.get(tenant=tenant, job_id=deleted)
    assert gone.deleted_at is not None
    kinds = dict(JobEvent.objects.values_list("job__job_id", "kind"))
    assert kinds == {renamed: "renamed", deleted: "deleted"}
    sync_tenant(tenant, full=True)  # nothing new: no second event
    assert JobEvent.objects.count() == 2


def test_a_job_deleted_while_its_detail_is_due_is_marked_deleted(sim, sim_tenant):
    tenant = sim_tenant()
    sync_tenant(tenant)
    (job_id,) = oldest_ids(sim, 1)
    # As a run that found the job changed leaves it: its detail due, and counted as pending.
    MirroredJob.objects.filter(job_id=job_id).update(needs_detail=True)
    TenantSyncState.objects.filter(tenant=tenant).update(details_pending=1)
    delete_job(sim, job_id)
    sync_tenant(tenant)
    assert MirroredJob.objects.get(job_id=job_id).deleted_at is not None
    assert TenantSyncState.objects.get(tenant=tenant).details_pending == 0
    assert JobEvent.objects.get().kind == "deleted"


class Killed(BaseException):
    """Like a worker killed mid-run: nothing in the sync catches it."""


@pytest.mark.django_db(transaction=True)
def test_a_sync_killed_half_way_and_run_again_loses_and_duplicates_nothing(
    sim, sim_tenant, monkeypatch
):
    tenant = sim_tenant()
    job_id = sim.add_live_job(60, "SUCCESS")
    real = mirror_module.observe_counted
    calls = {"n": 0}

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise Killed
        return real(*args, **kwargs)

    monkeypatch.setattr(mirror_module, "observe_counted", dying)
    with pytest.raises(Killed):
        sync_tenant(tenant)
    assert 0 < MirroredJob.objects.count() < len(sim.store)
    state = TenantSyncState.objects.get(tenant=tenant)
    assert state.error and state.failing_since  # recorded, visible
    monkeypatch.setattr(mirror_module, "observe_counted", real)
    assert sync_tenant(tenant).ok  # the lock was released
    assert sync_tenant(tenant, full=True).ok
    assert mirror_of(tenant) == store_of(sim)
    for row in MirroredJob.objects.all():
        statuses = list(row.history.values_list("status", flat=True))
        assert len(statuses) == len(set(statuses)) == 1, (row.job_id, statuses)
    assert MirroredJob.objects.get(job_id=job_id).snapshot_id  # its detail was fetched


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_duplicate_nothing(sim, sim_tenant):
    import threading

    tenant = sim_tenant()
    results = []

    def run():
        results.append(Run(tenant).run(full=True))  # no lock: the database must hold

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r.ok for r in results), results
    assert MirroredJob.objects.count() == len(sim.store)
    assert JobStatusChange.objects.count() == len(sim.store)
