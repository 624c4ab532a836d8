"""The call budget across workers, tenants that fail or hang, and upstream faults."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from jobs.mirror.models import MirroredJob, TenantSyncState
from jobs.sync.loop import Loop
from jobs.sync.tenant import Run, sync_tenant
from tests.support import run_in_threads


@pytest.mark.django_db(transaction=True)
def test_the_budget_holds_with_four_concurrent_workers(sim, sim_tenant, settings):
    settings.SYNC_CALLS_PER_MINUTE = 5
    settings.SYNC_PAGE_SIZE = 3  # a full walk needs 10+ calls
    tenant = sim_tenant()
    results = []

    def worker():
        for _ in range(3):
            results.append(Run(tenant).run(full=True))  # the unit itself, no lock

    run_in_threads([worker] * 4)
    assert sim.calls("/v5/") == 5
    assert sum(r.calls for r in results) == 5
    assert all("budget" in r.note for r in results if not r.ok)
    state = TenantSyncState.objects.get(tenant=tenant)
    assert not state.error and not state.failing_since  # spending the budget is not a failure


@pytest.mark.django_db(transaction=True)
def test_a_hanging_tenant_does_not_delay_the_others(sim, sim_tenant, hanging_endpoint, settings):
    stuck = sim_tenant("Stuck", endpoint=hanging_endpoint)
    healthy = sim_tenant("Healthy")
    loop = Loop(concurrency=2)
    began = timezone.now()
    try:
        assert set(loop.dispatch()) == {stuck.pk, healthy.pk}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            state = TenantSyncState.objects.filter(tenant=healthy).first()
            if state and state.last_finished_at:
                break
            time.sleep(0.05)
        # The stuck tenant cannot finish before its deadline: the healthy one did, without it.
        assert (state.last_finished_at - began).total_seconds() < settings.DRS_DEADLINE
        assert not loop.in_flight[stuck.pk].done()  # still waiting for its answer
        assert loop.dispatch() == []  # neither is started twice
    finally:
        loop.pool.shutdown(wait=True)
    failing = TenantSyncState.objects.get(tenant=stuck)
    assert "Could not reach" in failing.error and failing.failing_since
    assert failing.next_due_at > timezone.now()  # backed off
    assert MirroredJob.objects.filter(tenant=healthy).count() == len(sim.store)


FAULTS = [
    ("http_500", "DRS is unavailable"),
    ("http_503", "DRS is unavailable"),
    ("throttle", "throttling"),
    ("malformed_json", "not the DRS API"),
    ("non_object_json", "not the DRS API"),
    ("delay", "Could not reach"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "words"), FAULTS)
def test_upstream_faults_are_recorded_and_keep_the_mirror(sim, sim_tenant, kind, words):
    tenant = sim_tenant()
    assert sync_tenant(tenant).ok
    before = list(MirroredJob.objects.order_by("pk").values_list("job_id", "status", "name"))
    sim.set_fault(kind, seconds=2) if kind == "delay" else sim.set_fault(kind)
    result = sync_tenant(tenant, full=True)
    assert not result.ok and words in result.error, result
    state = TenantSyncState.objects.get(tenant=tenant)
    assert words in state.error and state.failing_since and state.consecutive_failures == 1
    assert state.next_due_at > timezone.now()
    if kind == "throttle":
        assert (state.next_due_at - timezone.now()).total_seconds() > 50
    after = list(MirroredJob.objects.order_by("pk").values_list("job_id", "status", "name"))
    assert after == before
    sim.clear_faults()
    since = state.failing_since
    assert sync_tenant(tenant).ok
    state.refresh_from_db()
    assert not state.error and state.failing_since is None and since


@pytest.mark.django_db
def test_refused_credentials_are_a_recorded_error(sim, sim_tenant):
    tenant = sim_tenant()
    tenant.secret_key = "wrong-secret-key-000000000000000000000000"
    tenant.save()
    result = sync_tenant(tenant)
    assert not result.ok and "signature" in result.error
    assert TenantSyncState.objects.get(tenant=tenant).error == result.error
