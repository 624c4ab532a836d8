"""`keep_running_seconds`: new live jobs keep starting in every project, and they finish."""

from __future__ import annotations

import time

import requests

from jobs.simulator import Simulator, SimulatorConfig
from tests.simulator.support import jobs_path, token_for, token_headers


def statuses(sim: Simulator, project_id: str) -> list[dict]:
    url = sim.url + jobs_path(project_id)
    headers = token_headers(token_for(sim, project_id))
    return requests.get(url, headers=headers, params={"limit": 500}, timeout=5).json()["jobs"]


def test_off_by_default() -> None:
    assert SimulatorConfig().keep_running_seconds is None


def test_something_is_always_running_and_jobs_finish() -> None:
    config = SimulatorConfig(
        bulk_jobs=0, live_jobs=0, extra_project_jobs=0, keep_running_seconds=0.2
    )
    sim = Simulator(config)
    before = [job for store in sim.stores.values() for _, job in store.views()]
    assert not [job for job in before if job["status"] == "TRANSFERRING"]
    sim.start()
    try:
        time.sleep(0.1)
        for project_id in sim.stores:
            assert any(job["status"] == "TRANSFERRING" for job in statuses(sim, project_id))
        time.sleep(2.5)
        for project_id in sim.stores:
            jobs = statuses(sim, project_id)
            assert any(job["status"] == "TRANSFERRING" for job in jobs)
            finished = [job for job in jobs if job["status"] != "TRANSFERRING"]
            assert finished and all(job["finish_time"] for job in finished)
        outcomes = {job["status"] for pid in sim.stores for job in statuses(sim, pid)}
        assert {"SUCCESS", "FAILED"} <= outcomes
    finally:
        sim.stop()
    counts = [len(store) for store in sim.stores.values()]
    time.sleep(0.5)
    assert [len(store) for store in sim.stores.values()] == counts, "still starting jobs"
