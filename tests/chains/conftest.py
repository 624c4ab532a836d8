"""A simulator seeded with migrations (`chains=True`), and a tenant of it synced to the end."""

from __future__ import annotations

import pytest

from jobs.simulator import Simulator, SimulatorConfig


@pytest.fixture(scope="module")
def chain_sim():
    config = SimulatorConfig(
        bulk_jobs=12, live_jobs=0, seed_faults=False, chains=True, extra_projects={}
    )
    server = Simulator(config).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _chain_settings(settings):
    settings.SYNC_PAGE_SIZE = 50
    settings.SYNC_CALLS_PER_MINUTE = 1000
    settings.DRS_READ_TIMEOUT = 1.5
    settings.DRS_DEADLINE = 3


def make_tenant(sim, name: str = "Migrations", **fields):
    from jobs.tenants.models import Tenant

    access_key, secret_key = next(iter(sim.config.access_keys.items()))
    tenant = Tenant(
        name=name,
        region="ap-southeast-3",
        project_id=sim.config.project_id,
        drs_endpoint=sim.url,
        iam_endpoint=sim.url,
        auth_method="aksk",
        access_key=access_key,
        **fields,
    )
    tenant.secret_key = secret_key
    tenant.save()
    return tenant


@pytest.fixture
def synced(chain_sim, db):
    """A tenant of `chain_sim` whose sync has fetched every job's detail."""
    from jobs.sync.tenant import sync_tenant

    tenant = make_tenant(chain_sim)
    from jobs.mirror.models import MirroredJob

    for _ in range(6):  # the first run loads the list; the next ones back-fill the details
        result = sync_tenant(tenant)
        assert result.ok, result.error
        if not MirroredJob.objects.filter(tenant=tenant, snapshot=None).alive().exists():
            break
    return tenant


def job_named(sim, name: str) -> str:
    for job_id in sim.store.ids():
        if sim.store.get(job_id)["base_info"].get("name") == name:
            return job_id
    raise LookupError(name)
