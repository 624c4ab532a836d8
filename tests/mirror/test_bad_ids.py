"""A detail whose body claims another id (the simulator's `bad_ids` fault, over real HTTP) is
kept under the id that was asked for: the sync records it on its first try and does not fetch
it again."""

from __future__ import annotations

import json

import pytest

from jobs.mirror.models import JobSnapshot, MirroredJob
from jobs.sync.tenant import sync_tenant

pytestmark = pytest.mark.django_db


def detail_calls(sim, job_id: str) -> int:
    return sim.calls(f"/v5/{sim.config.project_id}/backup-migration-jobs/{job_id}")


def test_a_detail_claiming_another_id_is_recorded_once_and_not_fetched_again(sim, sim_tenant):
    tenant = sim_tenant()
    job_id = sim.add_live_job(600, name="claims-another-id")
    sim.set_fault("bad_ids", target=job_id)  # its detail says `"id": "../x"`; the list is intact

    first = sync_tenant(tenant)
    assert first.ok, first
    assert detail_calls(sim, job_id) == 1  # a running job seen for the first time: its detail
    row = MirroredJob.objects.get(tenant=tenant, job_id=job_id)
    # Recorded (not given up): under the id asked for, the body kept as DRS sent it.
    assert not row.needs_detail
    assert row.snapshot is not None and row.snapshot.job_id == job_id
    assert json.loads(row.snapshot.raw_json)["id"] == "../x"
    assert row.status == "TRANSFERRING" and row.name == "claims-another-id"
    assert not MirroredJob.objects.exclude(job_id__in=sim.store.ids()).exists()
    assert not JobSnapshot.objects.exclude(job_id__in=sim.store.ids()).exists()

    sim.reset_counters()
    second = sync_tenant(tenant)
    assert second.ok and second.details == 0, second
    assert detail_calls(sim, job_id) == 0  # no second try: nothing left to fetch
    assert not MirroredJob.objects.get(pk=row.pk).needs_detail
