"""`max_limit`: the server answers fewer jobs than `limit` asked; walking by offset still works."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from jobs.simulator import Simulator, SimulatorConfig
from tests.simulator.support import jobs_path, token_for, token_headers


@pytest.fixture(scope="module")
def capped() -> Iterator[Simulator]:
    config = SimulatorConfig(bulk_jobs=30, live_jobs=0, seed_faults=False, max_limit=7)
    simulator = Simulator(config).start()
    yield simulator
    simulator.stop()


def page(simulator: Simulator, token: str, limit: int, offset: int) -> dict:
    url = simulator.url + jobs_path(simulator.config.project_id)
    params = {"limit": limit, "offset": offset}
    return requests.get(url, headers=token_headers(token), params=params, timeout=5).json()


def test_short_pages_until_offset_reaches_count(capped) -> None:
    token = token_for(capped)
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
