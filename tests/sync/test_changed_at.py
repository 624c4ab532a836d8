"""The sync's change stamp (`TenantSyncState.changed_at`), which the overview's refresh compares:
it moves when a run changes what the fleet pages show, and only then. Over real HTTP against
the simulator."""

from __future__ import annotations

import pytest

from jobs.mirror.models import TenantSyncState
from jobs.sync.tenant import sync_tenant
from tests.sync.conftest import rename_job

pytestmark = pytest.mark.django_db


def stamp(tenant):
    return TenantSyncState.objects.get(tenant=tenant).changed_at


def test_the_stamp_moves_with_what_the_pages_show_and_stays_for_a_run_that_finds_nothing(
    sim, sim_tenant
):
    tenant = sim_tenant()
    assert sync_tenant(tenant).ok
    first = stamp(tenant)
    assert first is not None  # the first run wrote the mirror

    assert sync_tenant(tenant).ok  # nothing new in DRS
    state = TenantSyncState.objects.get(tenant=tenant)
    assert state.changed_at == first and state.last_success_at > first  # synced, not changed

    newest = max((sim.store.job(i) for i in sim.store.ids()), key=lambda j: j.created)
    rename_job(sim, newest.id, "renamed-for-the-stamp")
    assert sync_tenant(tenant).ok
    renamed = stamp(tenant)
    assert renamed > first

    sim.set_fault("http_503")
    assert not sync_tenant(tenant).ok  # failing: the overview shows a banner
    failing = stamp(tenant)
    assert failing > renamed
    assert not sync_tenant(tenant).ok  # still failing, the same error: nothing new to show
    assert stamp(tenant) == failing
    sim.clear_faults()
    assert sync_tenant(tenant).ok  # recovered: the banner goes
    assert stamp(tenant) > failing
