"""The DRS simulator over real HTTP: IAM, auth, detail, list, faults, live jobs, counters."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from jobs.drs import signing
from jobs.simulator import FAULT_KINDS, Simulator, SimulatorConfig
from jobs.simulator.seed import EXAMPLE_JOB_ID

# Copied by hand from the detail page (drs_03_0285.html), independent of the simulator's copy.
PAGE_EXAMPLE = {
    "id": "0667845a-6291-4e2a-95b0-190c0abjb703",
    "status": "SUCCESS",
    "create_time": "2024-08-19T02:27:15Z",
    "finish_time": "2024-08-19T02:29:03Z",
    "backup_info": {
        "file_source": "OBS",
        "bucket_name": "zyy-obs",
        "file_info": [
            {
                "file_name": "1706510914000_1_Test_Database.bak",
                "file_size": "704KB",
                "file_last_modify": "1706511360000",
            }
        ],
    },
    "base_info": {
        "name": "DRS-6813",
        "engine_type": "sqlserver",
        "enterprise_project_id": "0",
        "description": "Destination RDS instance name: rds-sqlserver2022-stand",
    },
    "target_db_info": {"target_instance_id": "0a3182607bc549bcb46cc9a8755761a6in04"},
    "options": {
        "is_cover": True,
        "is_default_restore": True,
        "is_last_backup": False,
        "is_precheck": True,
        "is_delete_backup_file": False,
        "recovery_mode": "full",
        "db_names": [],
    },
    "new_db_names": "[]",
    "instance_name": "",
}
DATA = Path(__file__).parents[1] / "data"
# The official detail page as text, and its example response on its own.
SEED_PAGES = [DATA / "drs_03_0285_detail_page.txt", DATA / "seed_example.json"]
SECOND_AK, SECOND_SK = "DEMOAKLOCKOUTTEST002", "lockoutSK0000000000000000000000000000002"
REQUEST_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    config = SimulatorConfig(bulk_jobs=150, live_jobs=2)
    config.access_keys[SECOND_AK] = SECOND_SK
    simulator = Simulator(config).start()
    yield simulator
    simulator.stop()


@pytest.fixture(autouse=True)
def _clean(sim: Simulator) -> Iterator[None]:
    sim.clear_faults()
    sim.reset_counters()
    yield
    sim.clear_faults()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def token_body(password: str = "demo-Passw0rd!", **project: str) -> dict:
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": "demo-user",
                        "password": password,
                        "domain": {"name": "demo-domain"},
                    }
                },
            },
            "scope": {"project": project or {"id": SimulatorConfig().project_id}},
        }
    }


@pytest.fixture
def token(sim: Simulator) -> str:
    response = requests.post(f"{sim.url}/v3/auth/tokens", json=token_body(), timeout=5)
    return response.headers["X-Subject-Token"]


def jobs_path(sim: Simulator, job_id: str = "") -> str:
    path = f"/v5/{sim.config.project_id}/backup-migration-jobs"
    return f"{path}/{job_id}" if job_id else path


def get(http: requests.Session, sim: Simulator, token: str, path: str, **kw) -> requests.Response:
    headers = {"Content-Type": "application/json", "X-Auth-Token": token}
    return http.get(sim.url + path, headers=headers, timeout=5, **kw)


def list_jobs(http, sim, token, query: str = "") -> requests.Response:
    return get(http, sim, token, jobs_path(sim) + (f"?{query}" if query else ""))


def signed_get(
    http: requests.Session,
    sim: Simulator,
    path: str,
    params: list[tuple[str, str]] = (),
    sk: str | None = None,
    ak: str | None = None,
    when: datetime | None = None,
) -> requests.Response:
    access_key, secret_key = next(iter(sim.config.access_keys.items()))
    ak, sk = ak or access_key, sk or secret_key
    query = signing.canonical_query(params)
    headers = {
        "Content-Type": "application/json",
        "Host": urlsplit(sim.url).netloc,
        "X-Project-Id": sim.config.project_id,
        "X-Sdk-Date": signing.sdk_date(when),
    }
    headers["Authorization"] = signing.authorization(ak, sk, "GET", path, query, headers)
    url = sim.url + path + (f"?{query}" if query else "")
    return http.get(url, headers=headers, timeout=5)


# --- IAM ------------------------------------------------------------------------------------


def test_token_issue(sim: Simulator, http: requests.Session) -> None:
    response = http.post(f"{sim.url}/v3/auth/tokens", json=token_body(), timeout=5)
    assert response.status_code == 201
    assert len(response.headers["X-Subject-Token"]) > 1000
    token = response.json()["token"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", token["expires_at"])
    expires = datetime.strptime(token["expires_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs(expires - datetime.now(UTC) - timedelta(hours=24)) < timedelta(minutes=1)
    assert token["project"] == {
        "id": sim.config.project_id,
        "name": "ap-southeast-3",
        "domain": token["project"]["domain"],
    }
    assert token["user"]["name"] == "demo-user"
    assert token["methods"] == ["password"]
    assert sim.tokens_issued == 1


def test_token_scoped_by_region_name(sim: Simulator, http: requests.Session) -> None:
    body = token_body(name="ap-southeast-3")
    response = http.post(f"{sim.url}/v3/auth/tokens", json=body, timeout=5)
    assert response.status_code == 201
    assert response.json()["token"]["project"]["id"] == sim.config.project_id


def test_token_rejections(sim: Simulator, http: requests.Session) -> None:
    url = f"{sim.url}/v3/auth/tokens"
    wrong = http.post(url, json=token_body(password="nope"), timeout=5)
    assert wrong.status_code == 401
    assert wrong.json() == {
        "error": {
            "code": 401,
            "message": "The username or password is wrong.",
            "title": "Unauthorized",
        }
    }
    assert "X-Subject-Token" not in wrong.headers
    unknown = http.post(url, json=token_body(id="f" * 32), timeout=5)
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == 400
    assert http.post(url, data=b"{not json", timeout=5).status_code == 400
    assert http.post(url, json={"auth": {}}, timeout=5).status_code == 400
    assert sim.tokens_issued == 0


# --- detail ---------------------------------------------------------------------------------


def test_detail_is_the_documented_example(sim, http, token) -> None:
    response = get(http, sim, token, jobs_path(sim, EXAMPLE_JOB_ID))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert REQUEST_ID.fullmatch(response.headers["X-Request-Id"])
    assert response.json() == PAGE_EXAMPLE
    for page in SEED_PAGES:
        text = page.read_text()
        start = text.index('{ "id"')
        example, _ = json.JSONDecoder().raw_decode(text[start:])
        assert response.json() == example


def test_detail_unknown_job(sim, http, token) -> None:
    response = get(http, sim, token, jobs_path(sim, "341de3a3-c58a-445d-82e3-8e062b6jb703"))
    assert response.status_code == 400
    assert response.json() == {
        "error_code": "DRS.10000010",
        "error_msg": "Job does not exist, please check job ID.",
    }


def test_unknown_path_is_gateway_404(sim, http, token) -> None:
    response = get(http, sim, token, "/v5/nothing/here")
    assert response.status_code == 404
    body = response.json()
    assert body["error_code"] == "APIG.0101"
    assert body["request_id"] == response.headers["X-Request-Id"]


def test_seeded_edge_cases(sim, http, token) -> None:
    escape = sim.store.find("demo-escape-check")
    assert "<script>alert(1)</script>" in escape["error_log"]
    assert "{{ 7*7 }}" in escape["error_log"]
    incre = sim.store.find("erp-incre-cutover")
    assert incre["options"]["recovery_mode"] == "incre"
    assert len(incre["backup_info"]["file_info"]) == 200
    rds = sim.store.find("rds-backup-restore-finance")
    assert rds["backup_info"]["file_source"] == "RDS"
    assert rds["target_db_info"]["file_id"]
    chinese = sim.store.find("财务库迁移-2024")
    body = get(http, sim, token, jobs_path(sim, chinese["id"])).json()
    assert body["base_info"]["description"] == "财务系统数据库迁移至云上RDS"
    assert json.loads(body["new_db_names"]) == ["Finance_2024"]
    assert body["options"]["reset_db_name_map"] == {"": "Finance_2024"}


def test_seed_is_deterministic() -> None:
    config = SimulatorConfig(bulk_jobs=20, live_jobs=1)
    first, second = Simulator(config), Simulator(config)
    try:
        assert first.store.ids() == second.store.ids()
    finally:
        first.stop()
        second.stop()


# --- list -----------------------------------------------------------------------------------


def test_list_defaults_and_paging(sim, http, token) -> None:
    first = list_jobs(http, sim, token).json()
    assert first["count"] == len(sim.store)
    assert len(first["jobs"]) == 10
    created = [job["create_time"] for job in first["jobs"]]
    assert created == sorted(created, reverse=True)
    assert all(isinstance(value, str) for job in first["jobs"] for value in job.values())
    seen: list[str] = []
    offset = 0
    while True:
        page = list_jobs(http, sim, token, f"limit=70&offset={offset}").json()
        seen += [job["id"] for job in page["jobs"]]
        offset += len(page["jobs"])
        if len(page["jobs"]) < 70:
            break
    assert len(seen) == len(set(seen)) == first["count"]


@pytest.mark.parametrize(
    "query", ["status=PRECHECK%20FAILED", "status=PRECHECK+FAILED", "status=precheck%20failed"]
)
def test_list_status_precheck_failed(sim, http, token, query) -> None:
    body = list_jobs(http, sim, token, query + "&limit=2000").json()
    assert body["count"] >= 2
    assert {job["status"] for job in body["jobs"]} == {"PRECHECK FAILED"}


def test_list_status_is_case_insensitive(sim, http, token) -> None:
    body = list_jobs(http, sim, token, "status=SUCCESS&limit=2000").json()
    assert {job["status"].upper() for job in body["jobs"]} == {"SUCCESS"}
    assert "success" in {job["status"] for job in body["jobs"]}


def test_list_name_and_description(sim, http, token) -> None:
    body = list_jobs(http, sim, token, "name=LOWERCASE").json()
    assert {job["name"] for job in body["jobs"]} == {
        "legacy-lowercase-ok",
        "legacy-lowercase-failed",
    }
    body = list_jobs(http, sim, token, "description=%E8%B4%A2%E5%8A%A1").json()  # 财务
    assert [job["name"] for job in body["jobs"]] == ["财务库迁移-2024"]


def test_list_instance_ids(sim, http, token) -> None:
    ids = ["9b7a6c5d4e3f40a1b2c3d4e5f6a7b8c9in04", "1f2e3d4c5b6a47989a0b1c2d3e4f5a6bin04"]
    query = "&".join(f"dbs_instance_ids={i}" for i in ids) + "&limit=2000"
    body = list_jobs(http, sim, token, query).json()
    expected = {
        job_id
        for job_id in sim.store.ids()
        if sim.store.get(job_id)["target_db_info"]["target_instance_id"] in ids
    }
    assert {job["id"] for job in body["jobs"]} == expected
    too_many = "&".join(f"dbs_instance_ids=i{n}" for n in range(11))
    response = list_jobs(http, sim, token, too_many)
    assert response.status_code == 400
    assert response.json()["error_code"] == "DRS.M00007"


def test_list_enterprise_project(sim, http, token) -> None:
    finance = "6c1e9f3a-4b2d-4e8f-9a7c-2d5b8e1f0a93"
    body = list_jobs(http, sim, token, f"enterprise_project_id={finance}&limit=2000").json()
    assert body["count"] > 0
    assert {job["enterprise_project_id"] for job in body["jobs"]} == {finance}


@pytest.mark.parametrize(
    "query",
    [
        "create_at=2024-01-01",
        "create_at=1706511360000",
        "create_at=2024-01-01T00:00:00Z,2024-12-31T00:00:00Z",
        "completed_at=not-a-date",
        "completed_at=1706511360000,1706611360000",
        "tags=project%3Derp-cutover",
        "tags=%5B%7B%22key%22%3A%22env%22%7D%5D",
    ],
)
def test_list_undocumented_formats_are_accepted_and_ignored(sim, http, token, query) -> None:
    """The format of these filters is undocumented: the simulator must not enforce a guess."""
    everything = list_jobs(http, sim, token, "limit=2000").json()
    response = list_jobs(http, sim, token, query + "&limit=2000")
    assert response.status_code == 200
    assert response.json()["count"] == everything["count"]
    assert [job["id"] for job in response.json()["jobs"]] == [
        job["id"] for job in everything["jobs"]
    ]


def test_list_limit_has_no_guessed_maximum(sim, http, token) -> None:
    body = list_jobs(http, sim, token, "limit=5000").json()
    assert len(body["jobs"]) == body["count"] == len(sim.store)


@pytest.mark.parametrize(
    "query", ["limit=abc", "limit=0", "offset=-1", "offset=x", "sort_key=bogus", "sort_dir=up"]
)
def test_list_invalid_parameters(sim, http, token, query) -> None:
    response = list_jobs(http, sim, token, query)
    assert response.status_code == 400
    assert response.json()["error_code"] == "DRS.M00007"


# --- authentication -------------------------------------------------------------------------


def test_missing_and_invalid_token(sim, http) -> None:
    missing = http.get(sim.url + jobs_path(sim), timeout=5)
    assert missing.status_code == 401
    body = missing.json()
    assert body["error_code"] == "APIG.0301"
    assert body["error_msg"].startswith("Incorrect IAM authentication information")
    assert body["request_id"] == missing.headers["X-Request-Id"]
    invalid = get(http, sim, "MIIbogus", jobs_path(sim))
    assert invalid.status_code == 401
    assert invalid.json()["error_code"] == "APIG.0301"


def test_expired_tokens(sim, http) -> None:
    fresh = requests.post(f"{sim.url}/v3/auth/tokens", json=token_body(), timeout=5)
    token = fresh.headers["X-Subject-Token"]
    assert get(http, sim, token, jobs_path(sim)).status_code == 200
    sim.expire_tokens()
    response = get(http, sim, token, jobs_path(sim))
    assert response.status_code == 401
    assert response.json()["error_code"] == "APIG.0301"


def test_other_project_is_forbidden(sim, http, token) -> None:
    other = http.post(f"{sim.url}/v3/auth/tokens", json=token_body(name="cn-south-2"), timeout=5)
    assert other.status_code == 201
    response = get(http, sim, other.headers["X-Subject-Token"], jobs_path(sim))
    assert response.status_code == 403
    assert response.json()["error_code"] == "DRS.M00102"
    wrong_path = get(http, sim, token, "/v5/" + "a" * 32 + "/backup-migration-jobs")
    assert wrong_path.status_code == 403
    assert wrong_path.json()["error_code"] == "DRS.M00102"


def test_aksk_signature(sim, http) -> None:
    params = [("status", "PRECHECK FAILED"), ("dbs_instance_ids", "b"), ("dbs_instance_ids", "a")]
    assert signed_get(http, sim, jobs_path(sim), params).status_code == 200
    detail = signed_get(http, sim, jobs_path(sim, EXAMPLE_JOB_ID))
    assert detail.status_code == 200
    assert detail.json() == PAGE_EXAMPLE
    wrong = signed_get(http, sim, jobs_path(sim), sk="x" * 40)
    assert wrong.status_code == 401
    body = wrong.json()
    assert body["error_code"] == "APIG.0303"
    assert f"GET|{jobs_path(sim)}/||content-type:application/json|" in body["error_msg"]
    stale = signed_get(http, sim, jobs_path(sim), when=datetime.now(UTC) - timedelta(minutes=20))
    assert stale.status_code == 401
    assert stale.json()["error_code"] == "APIG.0301"
    unknown = signed_get(http, sim, jobs_path(sim), ak="UNKNOWNAK00000000000")
    assert unknown.status_code == 401


def test_aksk_lockout_after_five_failures(sim, http) -> None:
    for _ in range(5):
        wrong = signed_get(http, sim, jobs_path(sim), ak=SECOND_AK, sk="y" * 40)
        assert wrong.status_code == 401
    locked = signed_get(http, sim, jobs_path(sim), ak=SECOND_AK, sk=SECOND_SK)
    assert locked.status_code == 401
    assert "forbidden" in locked.json()["error_msg"]
    sim.reset_counters()
    assert signed_get(http, sim, jobs_path(sim), ak=SECOND_AK, sk=SECOND_SK).status_code == 200


# --- faults ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
def test_fault_html_errors(sim, http, token, status) -> None:
    sim.set_fault(f"http_{status}", count=1)
    response = list_jobs(http, sim, token)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "text/html"
    assert response.text.startswith("<html>")
    assert REQUEST_ID.fullmatch(response.headers["X-Request-Id"])
    assert list_jobs(http, sim, token).status_code == 200


def test_fault_throttle_count_expires(sim, http, token) -> None:
    sim.set_fault("throttle", count=2)
    for _ in range(2):
        response = list_jobs(http, sim, token)
        assert response.status_code == 429
        assert response.json()["error_code"] == "APIG.0308"
        assert "policy user over ratelimit" in response.json()["error_msg"]
    assert list_jobs(http, sim, token).status_code == 200
    assert sim.faults.snapshot() == []


def test_fault_body_shapes(sim, http, token) -> None:
    detail = jobs_path(sim, EXAMPLE_JOB_ID)
    sim.set_fault("malformed_json", count=1)
    with pytest.raises(ValueError):
        get(http, sim, token, detail).json()
    sim.set_fault("non_object_json", count=1)
    assert isinstance(get(http, sim, token, detail).json(), list)
    sim.set_fault("non_object_json", count=1, shape="string")
    assert get(http, sim, token, detail).json() == "OK"
    sim.set_fault("missing_fields", count=1)
    broken = get(http, sim, token, detail).json()
    assert broken["status"] is None and isinstance(broken["backup_info"]["file_info"], str)
    sim.set_fault("missing_fields", count=1)
    assert list_jobs(http, sim, token).json()["jobs"][-1] == "not-an-object"
    sim.set_fault("unknown_status", count=1)
    assert get(http, sim, token, detail).json()["status"] == "PAUSED"
    assert get(http, sim, token, detail).json() == PAGE_EXAMPLE


def test_fault_oversized(sim, http, token) -> None:
    sim.set_fault("oversized", count=1, bytes=2 * 1024 * 1024)
    response = get(http, sim, token, jobs_path(sim, EXAMPLE_JOB_ID))
    assert response.status_code == 200
    assert len(response.content) == 2 * 1024 * 1024
    assert response.json()["id"] == EXAMPLE_JOB_ID


def test_fault_drop(sim, http, token) -> None:
    sim.set_fault("drop", count=1)
    with pytest.raises(requests.ConnectionError):
        list_jobs(http, sim, token)
    assert list_jobs(http, sim, token).status_code == 200


def test_fault_delay_and_target(sim, http, token) -> None:
    other = next(i for i in sim.store.ids() if i != EXAMPLE_JOB_ID)
    sim.set_fault("delay", target=EXAMPLE_JOB_ID, count=1, seconds=0.3)
    started = time.monotonic()
    assert get(http, sim, token, jobs_path(sim, other)).status_code == 200
    assert time.monotonic() - started < 0.25
    assert get(http, sim, token, jobs_path(sim, EXAMPLE_JOB_ID)).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_fault_expired_token_spares_aksk(sim, http, token) -> None:
    sim.set_fault("expired_token", count=1)
    assert signed_get(http, sim, jobs_path(sim)).status_code == 200
    response = list_jobs(http, sim, token)
    assert response.status_code == 401
    assert response.json()["error_code"] == "APIG.0301"
    assert list_jobs(http, sim, token).status_code == 200


def test_every_fault_kind_is_known(sim) -> None:
    for kind in FAULT_KINDS:
        sim.set_fault(kind, count=1)
    assert len(sim.faults.snapshot()) == len(FAULT_KINDS)
    with pytest.raises(ValueError):
        sim.set_fault("meteor")


# --- live jobs, counters, controls, transport ----------------------------------------------


def test_live_job_finishes(sim, http, token) -> None:
    job_id = sim.add_live_job(0.5, name="live-test-job")
    running = get(http, sim, token, jobs_path(sim, job_id)).json()
    assert running["status"] == "TRANSFERRING"
    assert "finish_time" not in running
    assert running["base_info"]["name"] == "live-test-job"
    listed = list_jobs(http, sim, token, "name=live-test-job").json()["jobs"][0]
    assert listed["status"] == "TRANSFERRING" and listed["finish_time"] == ""
    time.sleep(0.6)
    done = get(http, sim, token, jobs_path(sim, job_id)).json()
    assert done["status"] == "SUCCESS"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", done["finish_time"])


def test_live_job_failure_via_control_endpoint(sim, http, token) -> None:
    response = http.post(
        f"{sim.url}/_sim/jobs", json={"duration_seconds": 0, "outcome": "FAILED"}, timeout=5
    )
    assert response.status_code == 201
    failed = get(http, sim, token, jobs_path(sim, response.json()["job_id"])).json()
    assert failed["status"] == "FAILED"
    assert "Msg " in failed["error_log"] or "Failed" in failed["error_log"]


def test_call_counter(sim, http, token) -> None:
    for _ in range(3):
        get(http, sim, token, jobs_path(sim, EXAMPLE_JOB_ID))
    list_jobs(http, sim, token)
    assert sim.calls(jobs_path(sim, EXAMPLE_JOB_ID)) == 3
    assert sim.calls() == 4
    sim.reset_counters()
    assert sim.calls() == 0


def test_control_endpoints(sim, http) -> None:
    created = http.post(
        f"{sim.url}/_sim/faults",
        json={"kind": "delay", "target": EXAMPLE_JOB_ID, "count": 2, "seconds": 0.1},
        timeout=5,
    )
    assert created.status_code == 201
    state = http.get(f"{sim.url}/_sim/state", timeout=5).json()
    assert state["faults"] == [
        {"kind": "delay", "target": EXAMPLE_JOB_ID, "count": 2, "params": {"seconds": 0.1}}
    ]
    assert state["jobs"] == len(sim.store)
    assert http.delete(f"{sim.url}/_sim/faults", timeout=5).json() == {"cleared": 1}
    assert http.post(f"{sim.url}/_sim/faults", json={"kind": "x"}, timeout=5).status_code == 400
    assert http.post(f"{sim.url}/_sim/expire-tokens", timeout=5).status_code == 200
    assert http.post(f"{sim.url}/_sim/reset-counters", timeout=5).status_code == 200


def test_keep_alive(sim, token) -> None:
    connection = HTTPConnection(urlsplit(sim.url).netloc, timeout=5)
    try:
        for _ in range(3):
            connection.request(
                "GET", jobs_path(sim, EXAMPLE_JOB_ID), headers={"X-Auth-Token": token}
            )
            response = connection.getresponse()
            assert response.status == 200
            assert json.loads(response.read())["id"] == EXAMPLE_JOB_ID
    finally:
        connection.close()


def test_official_sdk_signature_accepted(sim, http) -> None:
    sdk_request = pytest.importorskip("huaweicloudsdkcore.sdk_request")
    sdk_signer = pytest.importorskip("huaweicloudsdkcore.signer.signer")
    sdk_credentials = pytest.importorskip("huaweicloudsdkcore.auth.credentials")
    access_key, secret_key = next(iter(sim.config.access_keys.items()))
    host = urlsplit(sim.url).netloc
    params = [("status", "PRECHECK FAILED"), ("dbs_instance_ids", "b"), ("dbs_instance_ids", "a")]
    for path, query in ((jobs_path(sim), params), (jobs_path(sim, EXAMPLE_JOB_ID), [])):
        headers = {
            "Content-Type": "application/json",
            "Host": host,
            "X-Project-Id": sim.config.project_id,
            "X-Sdk-Date": signing.sdk_date(),
        }
        request = sdk_request.SdkRequest(
            method="GET",
            schema="http",
            host=host,
            resource_path=path,
            query_params=query,
            header_params=dict(headers),
            body="",
        )
        credentials = sdk_credentials.BasicCredentials(access_key, secret_key)
        sdk_signer.Signer(credentials).sign(request)
        headers["Authorization"] = request.header_params["Authorization"]
        encoded = signing.canonical_query(query)
        url = sim.url + path + (f"?{encoded}" if encoded else "")
        assert http.get(url, headers=headers, timeout=5).status_code == 200
