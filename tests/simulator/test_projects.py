"""Several projects, each with its own jobs; tokens are scoped by project, AK/SK by the path."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from jobs.simulator import Simulator, SimulatorConfig
from jobs.simulator.seed import EXAMPLE_JOB_ID
from tests.simulator.support import jobs_path, signed, token_for, token_headers, token_request

ERP, FINANCE = "ap-southeast-3_erp", "ap-southeast-3_finance"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    config = SimulatorConfig(bulk_jobs=20, live_jobs=1, extra_project_jobs=15, seed_faults=False)
    with Simulator(config) as simulator:
        yield simulator


def project(sim: Simulator, name: str) -> str:
    return sim.config.extra_projects[name]


def all_ids(sim: Simulator, project_id: str, token: str) -> set[str]:
    url = sim.url + jobs_path(project_id)
    body = requests.get(url, headers=token_headers(token), params={"limit": 500}, timeout=5)
    assert body.status_code == 200
    return {job["id"] for job in body.json()["jobs"]}


def test_each_project_has_its_own_jobs(sim) -> None:
    seen: dict[str, set[str]] = {}
    for project_id in sim.stores:
        seen[project_id] = all_ids(sim, project_id, token_for(sim, project_id))
        assert seen[project_id] == set(sim.stores[project_id].ids())
    default, erp, finance = (seen[p] for p in sim.stores)
    assert len(erp) == len(finance) == 16  # 15 bulk + 1 live
    assert not (default & erp) and not (default & finance) and not (erp & finance)
    assert EXAMPLE_JOB_ID in default


def test_a_job_of_another_project_does_not_exist_here(sim) -> None:
    erp = project(sim, ERP)
    url = sim.url + jobs_path(erp, EXAMPLE_JOB_ID)
    response = requests.get(url, headers=token_headers(token_for(sim, erp)), timeout=5)
    assert response.status_code == 400
    assert response.json()["error_code"] == "DRS.10000010"


def test_token_is_scoped_by_project(sim) -> None:
    erp_token = token_for(sim, project(sim, ERP))
    finance_path = jobs_path(project(sim, FINANCE))
    response = requests.get(sim.url + finance_path, headers=token_headers(erp_token), timeout=5)
    assert response.status_code == 403
    assert response.json()["error_code"] == "DRS.M00102"


def test_token_scoped_by_project_name(sim) -> None:
    body = token_request({"name": FINANCE})
    response = requests.post(f"{sim.url}/v3/auth/tokens", json=body, timeout=5)
    assert response.status_code == 201
    assert response.json()["token"]["project"] == {
        "id": project(sim, FINANCE),
        "name": FINANCE,
        "domain": response.json()["token"]["project"]["domain"],
    }
    ids = all_ids(sim, project(sim, FINANCE), response.headers["X-Subject-Token"])
    assert ids == set(sim.stores[project(sim, FINANCE)].ids())


def test_aksk_uses_the_paths_project(sim) -> None:
    for project_id, store in sim.stores.items():
        response = signed(sim, "GET", jobs_path(project_id), project_id=project_id)
        assert response.status_code == 200
        assert response.json()["count"] == len(store)
    mismatch = signed(sim, "GET", jobs_path(project(sim, ERP)), project_id=sim.config.project_id)
    assert mismatch.status_code == 403
    unknown = signed(sim, "GET", jobs_path("f" * 32), project_id="f" * 32)
    assert unknown.status_code == 403 and unknown.json()["error_code"] == "DRS.M00102"


def test_live_job_in_a_chosen_project(sim) -> None:
    erp = project(sim, ERP)
    response = requests.post(
        f"{sim.url}/_sim/jobs",
        json={"duration_seconds": 60, "project_id": erp, "name": "erp-only-job"},
        timeout=5,
    )
    assert response.status_code == 201
    job_id = response.json()["job_id"]
    assert sim.stores[erp].get(job_id)["base_info"]["name"] == "erp-only-job"
    assert sim.store.get(job_id) is None
    bad = requests.post(
        f"{sim.url}/_sim/jobs", json={"duration_seconds": 1, "project_id": "nope"}, timeout=5
    )
    assert bad.status_code == 400


def test_state_lists_projects(sim) -> None:
    state = requests.get(f"{sim.url}/_sim/state", timeout=5).json()
    assert set(state["projects"]) == set(sim.stores)
    assert state["projects"][project(sim, ERP)]["name"] == ERP
    assert json.dumps(state)  # plain JSON
