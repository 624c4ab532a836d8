"""PUT renames or re-describes a job; DELETE removes completed jobs only (drs-api.md §1, §8)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from jobs.simulator import Simulator, SimulatorConfig
from jobs.simulator.seed import EXAMPLE_JOB_ID
from tests.simulator.support import jobs_path, signed, token_for, token_headers


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(SimulatorConfig(bulk_jobs=10, live_jobs=0, seed_faults=False)) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def _no_faults(sim: Simulator) -> Iterator[None]:
    yield
    sim.clear_faults()


@pytest.fixture
def http(sim: Simulator) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers.update(token_headers(token_for(sim)))
        yield session


def url(sim: Simulator, job_id: str = "") -> str:
    return sim.url + jobs_path(sim.config.project_id, job_id)


def listed_ids(http: requests.Session, sim: Simulator) -> set[str]:
    return {
        job["id"] for job in http.get(url(sim), params={"limit": 1000}, timeout=5).json()["jobs"]
    }


def finished_job(sim: Simulator) -> str:
    return sim.add_live_job(0, "FAILED")


def test_put_renames_and_redescribes(sim, http) -> None:
    job_id = finished_job(sim)
    body = {"name": "renamed-job_01", "description": "moved to the new ERP"}
    response = http.put(url(sim, job_id), json=body, timeout=5)
    assert response.status_code == 200
    assert response.content == b""
    detail = http.get(url(sim, job_id), timeout=5).json()
    assert detail["base_info"]["name"] == "renamed-job_01"
    assert detail["base_info"]["description"] == "moved to the new ERP"
    listed = http.get(url(sim), params={"name": "renamed-job_01"}, timeout=5).json()["jobs"]
    assert [(job["id"], job["description"]) for job in listed] == [(job_id, body["description"])]


def test_put_one_field_keeps_the_other(sim, http) -> None:
    job_id = sim.add_live_job(600, name="still-running", description="before")
    assert http.put(url(sim, job_id), json={"description": "after"}, timeout=5).status_code == 200
    base = http.get(url(sim, job_id), timeout=5).json()["base_info"]
    assert (base["name"], base["description"]) == ("still-running", "after")


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b"{}",
        b'{"name": "ab"}',
        b'{"name": "has space"}',
        b'{"name": 5}',
        b'{"description": 7}',
    ],
)
def test_put_invalid_bodies(sim, http, body) -> None:
    response = http.put(url(sim, EXAMPLE_JOB_ID), data=body, timeout=5)
    assert response.status_code == 400
    assert response.json()["error_code"] == "DRS.M00007"
    assert http.get(url(sim, EXAMPLE_JOB_ID), timeout=5).json()["base_info"]["name"] == "DRS-6813"


def test_put_unknown_job(sim, http) -> None:
    response = http.put(url(sim, "no-such-job"), json={"name": "whatever"}, timeout=5)
    assert response.status_code == 400
    assert response.json()["error_code"] == "DRS.10000010"


def test_delete_completed_job(sim, http) -> None:
    job_id = finished_job(sim)
    assert job_id in listed_ids(http, sim)
    response = http.delete(url(sim, job_id), timeout=5)
    assert response.status_code == 200 and response.content == b""
    gone = http.get(url(sim, job_id), timeout=5)
    assert gone.status_code == 400
    assert gone.json() == {
        "error_code": "DRS.10000010",
        "error_msg": "Job does not exist, please check job ID.",
    }
    assert job_id not in listed_ids(http, sim)
    assert http.delete(url(sim, job_id), timeout=5).json()["error_code"] == "DRS.10000010"


def test_delete_running_job_is_refused(sim, http) -> None:
    job_id = sim.add_live_job(600)
    response = http.delete(url(sim, job_id), timeout=5)
    assert response.status_code == 400
    assert set(response.json()) == {"error_code", "error_msg"}
    assert response.json()["error_code"].startswith("DRS.")
    assert http.get(url(sim, job_id), timeout=5).json()["status"] == "TRANSFERRING"


def test_writes_are_authenticated_like_reads(sim) -> None:
    job_id = finished_job(sim)
    path = jobs_path(sim.config.project_id, job_id)
    anonymous = requests.delete(sim.url + path, timeout=5)
    assert anonymous.status_code == 401 and anonymous.json()["error_code"] == "APIG.0301"
    body = json.dumps({"name": "signed-rename"}).encode()
    assert signed(sim, "PUT", path, body).status_code == 200
    assert sim.store.get(job_id)["base_info"]["name"] == "signed-rename"
    assert signed(sim, "DELETE", path).status_code == 200
    assert sim.store.get(job_id) is None


def test_write_on_the_list_path_is_not_an_api(sim, http) -> None:
    response = http.delete(url(sim), timeout=5)
    assert response.status_code == 404 and response.json()["error_code"] == "APIG.0101"


def test_failing_fault_keeps_the_job(sim, http) -> None:
    job_id = finished_job(sim)
    sim.set_fault("http_503", target=job_id, count=1)
    assert http.delete(url(sim, job_id), timeout=5).status_code == 503
    assert http.get(url(sim, job_id), timeout=5).status_code == 200
    assert http.delete(url(sim, job_id), timeout=5).status_code == 200
