"""`max_limit`: the server answers fewer jobs than `limit` asked; walking by offset still works."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from jobs.simulator import Simulator, SimulatorConfig


@pytest.fixture(scope="module")
def capped() -> Iterator[Simulator]:
    config = SimulatorConfig(bulk_jobs=30, live_jobs=0, seed_faults=False, max_limit=7)
    simulator = Simulator(config).start()
    yield simulator
    simulator.stop()


def page(simulator: Simulator, token: str, limit: int, offset: int) -> dict:
    url = f"{simulator.url}/v5/{simulator.config.project_id}/backup-migration-jobs"
    headers = {"Content-Type": "application/json", "X-Auth-Token": token}
    params = {"limit": limit, "offset": offset}
    return requests.get(url, headers=headers, params=params, timeout=5).json()


def test_short_pages_until_offset_reaches_count(capped) -> None:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": "demo-user",
                        "password": "demo-Passw0rd!",
                        "domain": {"name": "demo-domain"},
                    }
                },
            },
            "scope": {"project": {"id": capped.config.project_id}},
        }
    }
    response = requests.post(f"{capped.url}/v3/auth/tokens", json=body, timeout=5)
    token = response.headers["X-Subject-Token"]
    first = page(capped, token, 2000, 0)
    assert first["count"] == len(capped.store) > 7
    assert len(first["jobs"]) == 7
    seen, offset = [], 0
    while offset < first["count"]:
        jobs = page(capped, token, 2000, offset)["jobs"]
        assert jobs, "an empty page before offset reached count"
        seen += [job["id"] for job in jobs]
        offset += len(jobs)
    assert len(seen) == len(set(seen)) == first["count"]
    assert len(page(capped, token, 3, 0)["jobs"]) == 3
