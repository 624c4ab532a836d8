"""Each sync test gets its own small simulator, so it may rename and delete jobs freely."""

from __future__ import annotations

import socket

import pytest

from jobs.simulator import Simulator, SimulatorConfig


@pytest.fixture
def sim():
    config = SimulatorConfig(bulk_jobs=30, live_jobs=0, seed_faults=False)
    server = Simulator(config).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _sync_settings(settings):
    settings.SYNC_PAGE_SIZE = 10  # several pages even for a small simulator
    settings.DRS_READ_TIMEOUT = 1.5
    settings.DRS_DEADLINE = 3
    settings.SYNC_BACKFILL_PER_RUN = 0  # the details back-fill has its own tests (tests/chains)


@pytest.fixture
def sim_tenant(sim, db):
    """make(name, endpoint=None) → a tenant of `sim` (or of another endpoint)."""
    from jobs.tenants.models import Tenant

    def make(name: str = "Sync", endpoint: str | None = None) -> Tenant:
        access_key, secret_key = next(iter(sim.config.access_keys.items()))
        tenant = Tenant(
            name=name,
            region="ap-southeast-3",
            project_id=sim.config.project_id,
            drs_endpoint=endpoint or sim.url,
            iam_endpoint=endpoint or sim.url,
            auth_method="aksk",
            access_key=access_key,
        )
        tenant.secret_key = secret_key
        tenant.save()
        return tenant

    return make


@pytest.fixture
def hanging_endpoint():
    """An address that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def delete_job(sim, job_id: str) -> None:
    with sim.store._lock:
        del sim.store._jobs[job_id]


def rename_job(sim, job_id: str, name: str) -> None:
    sim.store.job(job_id).data["base_info"]["name"] = name


def oldest_ids(sim, n: int) -> list[str]:
    jobs = sorted((sim.store.job(i) for i in sim.store.ids()), key=lambda j: j.created)
    return [job.id for job in jobs[:n]]
