"""Hostile-upstream faults: each applies (globally or to one job) and goes away when cleared."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from jobs.simulator import HOSTILE_KINDS, Simulator, SimulatorConfig
from jobs.simulator.seed import EXAMPLE_JOB_ID
from tests.simulator.support import jobs_path, token_for, token_headers

C0_C1_ANSI_BIDI = ("\x00", "\x07", "\x85", "\x9b", "\x1b[31m", "\x1b]0;", "\x1b]8;;", "\u202e")


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    config = SimulatorConfig(bulk_jobs=40, live_jobs=0, extra_project_jobs=0, seed_faults=False)
    with Simulator(config) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def _no_faults(sim: Simulator) -> Iterator[None]:
    sim.clear_faults()
    yield
    sim.clear_faults()


@pytest.fixture(scope="module")
def http(sim: Simulator) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers.update(token_headers(token_for(sim)))
        yield session


def url(sim: Simulator, job_id: str = "") -> str:
    return sim.url + jobs_path(sim.config.project_id, job_id)


def detail(http, sim, job_id: str = EXAMPLE_JOB_ID) -> requests.Response:
    return http.get(url(sim, job_id), timeout=10)


def listing(http, sim, **params) -> requests.Response:
    return http.get(url(sim), params=params, timeout=10)


def normal_detail(http, sim) -> None:
    response = detail(http, sim)
    assert response.status_code == 200
    assert response.json()["create_time"] == "2024-08-19T02:27:15Z"


def max_depth(body: bytes) -> int:
    depth = deepest = 0
    for byte in body:
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
    return deepest


def test_all_hostile_kinds_are_known(sim) -> None:
    for kind in HOSTILE_KINDS:
        sim.set_fault(kind, count=1)
    assert [fault["kind"] for fault in sim.faults.snapshot()] == list(HOSTILE_KINDS)


def test_trickle_sends_one_byte_at_a_time(sim, http) -> None:
    sim.set_fault("trickle", target="no-such-job", seconds=0.003)
    host, port = urlsplit(sim.url).hostname, urlsplit(sim.url).port
    token = token_for(sim)
    request = (
        f"GET {jobs_path(sim.config.project_id, 'no-such-job')} HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\nX-Auth-Token: {token}\r\nContent-Type: application/json\r\n\r\n"
    ).encode()
    chunks: list[bytes] = []
    with socket.create_connection((host, port), timeout=5) as connection:
        started = time.monotonic()
        connection.sendall(request)
        while chunk := connection.recv(65536):
            chunks.append(chunk)
        elapsed = time.monotonic() - started
    raw = b"".join(chunks)
    assert raw.startswith(b"HTTP/1.1 400 ")
    assert json.loads(raw.split(b"\r\n\r\n", 1)[1])["error_code"] == "DRS.10000010"
    assert elapsed >= len(raw) * 0.003
    assert len(chunks[0]) <= 2 and len(chunks) > len(raw) // 4
    sim.clear_faults()
    started = time.monotonic()
    assert detail(http, sim, "no-such-job").status_code == 400
    assert time.monotonic() - started < 0.5


def test_trickle_only_hits_its_target(sim, http) -> None:
    sim.set_fault("trickle", target="no-such-job", seconds=5)
    started = time.monotonic()
    normal_detail(http, sim)
    assert listing(http, sim).status_code == 200
    assert time.monotonic() - started < 2


def test_deep_nesting(sim, http) -> None:
    sim.set_fault("deep_nesting", target=EXAMPLE_JOB_ID, count=1)
    response = detail(http, sim)
    assert response.status_code == 200
    assert max_depth(response.content) == 100_001
    with pytest.raises(RecursionError):
        json.loads(response.content)
    normal_detail(http, sim)


def test_deep_nesting_depth_on_the_list(sim, http) -> None:
    sim.set_fault("deep_nesting", depth=50)
    body = listing(http, sim).json()
    assert max_depth(json.dumps(body["nested"]).encode()) == 50 and body["jobs"]


def test_edge_dates(sim, http) -> None:
    sim.set_fault("edge_dates")
    job = detail(http, sim).json()
    assert (job["create_time"], job["finish_time"]) == (
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
    )
    assert job["backup_info"]["file_info"][0]["file_last_modify"] == "99999999999999999999"
    times = {t for item in listing(http, sim).json()["jobs"] for t in item.values()}
    assert {"9999-12-31T23:59:59Z", "99999999999999999999", "-62135596800"} <= times
    sim.clear_faults()
    normal_detail(http, sim)


def test_bad_ids(sim, http) -> None:
    sim.set_fault("bad_ids", count=2)
    jobs = listing(http, sim, limit=12).json()["jobs"]
    assert "id" not in jobs[0]
    ids = [job.get("id") for job in jobs]
    assert {"../x", "<script>alert(1)</script>", "", None, 12345} <= set(ids)
    assert detail(http, sim).json()["id"] == "../x"
    assert all(isinstance(job["id"], str) for job in listing(http, sim).json()["jobs"])


def test_control_chars(sim, http) -> None:
    sim.set_fault("control_chars", target=EXAMPLE_JOB_ID)
    job = detail(http, sim).json()
    for text in (job["base_info"]["name"], job["base_info"]["description"], job["error_log"]):
        assert all(marker in text for marker in C0_C1_ANSI_BIDI)
    assert "\u202e" in job["backup_info"]["file_info"][0]["file_name"]
    assert "\x1b" not in json.dumps(listing(http, sim).json(), ensure_ascii=False)  # target only
    sim.set_fault("control_chars")
    item = listing(http, sim).json()["jobs"][0]
    assert all(marker in item["name"] + item["error_log"] for marker in C0_C1_ANSI_BIDI)
    sim.clear_faults()
    assert "\x1b" not in detail(http, sim).json()["base_info"]["name"]


def test_repeated_pages(sim, http) -> None:
    first = [job["id"] for job in listing(http, sim, limit=5).json()["jobs"]]
    sim.set_fault("repeated_pages")
    for offset in (5, 10, 1000):
        page = listing(http, sim, limit=5, offset=offset).json()
        assert [job["id"] for job in page["jobs"]] == first
        assert page["count"] == len(sim.store)
    normal_detail(http, sim)  # a detail read neither changes nor consumes it
    assert sim.faults.snapshot()[0]["kind"] == "repeated_pages"
    sim.clear_faults()
    second = [job["id"] for job in listing(http, sim, limit=5, offset=5).json()["jobs"]]
    assert not set(first) & set(second)


def test_huge_files(sim, http) -> None:
    sim.set_fault("huge_files", count=1)
    assert "count" in listing(http, sim).json()  # the list does not consume it
    response = detail(http, sim)
    files = response.json()["backup_info"]["file_info"]
    assert len(files) == 60_000
    assert len({f["file_name"] for f in files}) == 60_000
    assert len(response.content) > 4_000_000
    assert len(detail(http, sim).json()["backup_info"]["file_info"]) == 1


def test_huge_body(sim, http) -> None:
    sim.set_fault("huge_body", count=2)
    response = detail(http, sim)
    assert 5 * 1024 * 1024 <= len(response.content) < 6 * 1024 * 1024
    assert response.json()["error_log"].startswith("Msg 3203, Level 16")
    page = listing(http, sim)
    assert len(page.content) >= 5 * 1024 * 1024 and page.json()["count"] == len(sim.store)
    assert len(detail(http, sim).content) < 10_000


@pytest.mark.parametrize("location", [None, "http://127.0.0.1:1/"])
def test_redirect_internal(sim, http, location) -> None:
    params = {"location": location} if location else {}
    sim.set_fault("redirect_internal", target=EXAMPLE_JOB_ID, **params)
    response = http.get(url(sim, EXAMPLE_JOB_ID), allow_redirects=False, timeout=5)
    assert response.status_code == 302
    assert response.headers["Location"] == (location or "http://169.254.169.254/latest/meta-data/")
    assert listing(http, sim).status_code == 200
    sim.clear_faults()
    normal_detail(http, sim)


def test_redirect_internal_through_the_control_endpoint(sim, http) -> None:
    body = {"kind": "redirect_internal", "count": 1, "params": {"status": 307}}
    created = requests.post(f"{sim.url}/_sim/faults", json=body, timeout=5)
    assert created.status_code == 201
    assert created.json()["fault"]["params"]["location"].startswith("http://169.254.169.254/")
    redirected = http.get(url(sim), allow_redirects=False, timeout=5)
    assert redirected.status_code == 307 and redirected.content == b""
    assert http.get(url(sim), allow_redirects=False, timeout=5).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "trickle", "seconds": -1},
        {"kind": "deep_nesting", "depth": 0},
        {"kind": "huge_files", "files": "many"},
        {"kind": "huge_body", "bytes": 1.5},
        {"kind": "redirect_internal", "status": 200},
    ],
)
def test_invalid_parameters_are_refused(sim, params) -> None:
    response = requests.post(f"{sim.url}/_sim/faults", json=params, timeout=5)
    assert response.status_code == 400
    assert sim.faults.snapshot() == []
