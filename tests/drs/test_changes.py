"""The client's create, update, delete and tag calls against the simulator over real HTTP."""

from __future__ import annotations

import copy
import time

import pytest

from jobs.drs import (
    AccessKeyCredentials,
    ActionNotPermitted,
    DrsClient,
    JobFilters,
    JobNotFound,
    ParameterError,
    PasswordCredentials,
    RequestRejected,
    UpstreamUnavailable,
)
from jobs.simulator.config import READER_ACCESS_KEY, READER_SECRET_KEY, READER_USER
from tests.conftest import FAST

BODY = {
    "base_info": {"name": "restore-sales-1", "engine_type": "sqlserver", "description": "t"},
    "target_db_info": {"target_instance_id": "0a3182607bc549bcb46cc9a8755761a6in04"},
    "backup_info": {
        "file_source": "OBS",
        "bucket_name": "backups-eu",
        "files": [{"name": "1706510914000_1_Sales.bak", "obs_path": ""}],
    },
    "options": {
        "is_cover": False,
        "is_default_restore": True,
        "is_last_backup": True,
        "is_precheck": True,
        "is_delete_backup_file": True,
        "recovery_mode": "full",
    },
}


def body(**changes) -> dict:
    data = copy.deepcopy(BODY)
    for path, value in changes.items():
        section, key = path.split("__")
        data[section][key] = value
    return data


def wait_status(client: DrsClient, job_id: str, wanted: str, seconds: float = 15) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = str(client.get_job(job_id).status)
        if status == wanted:
            return status
        time.sleep(0.3)
    raise AssertionError(f"{job_id} never reached {wanted}")


@pytest.fixture
def quick_jobs(simulator):
    before = simulator.config.created_job_seconds
    simulator.config.created_job_seconds = 1.5
    yield
    simulator.config.created_job_seconds = before


def test_create_runs_the_job_to_success_and_the_list_finds_it(drs_client, quick_jobs):
    name = f"client-create-{int(time.time() * 1000) % 10**8}"
    created = drs_client.create_job(body(base_info__name=name))
    assert created.request_id
    job = drs_client.get_job(created.job_id)
    assert str(job.status) == "TRANSFERRING"
    assert job.base_info.name == name
    assert job.backup_info.bucket_name == "backups-eu"
    wait_status(drs_client, created.job_id, "SUCCESS")
    page = drs_client.list_jobs(JobFilters(name=name))
    assert [j.id for j in page.jobs] == [created.job_id]


def test_a_file_named_to_fail_fails_the_job(token_client, quick_jobs):
    files = [{"name": "sales_fail.bak", "obs_path": ""}]
    created = token_client.create_job(body(backup_info__files=files))
    wait_status(token_client, created.job_id, "FAILED")
    assert "sales_fail.bak" in token_client.get_job(created.job_id).error_log


def test_a_precheck_failure_is_chosen_by_the_file_name(token_client, quick_jobs):
    files = [{"name": "sales_precheck-fail.bak", "obs_path": ""}]
    created = token_client.create_job(body(backup_info__files=files))
    wait_status(token_client, created.job_id, "PRECHECK FAILED")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"base_info__name": "abc"}, "base_info.name"),
        ({"base_info__name": "has space"}, "base_info.name"),
        ({"backup_info__bucket_name": "Upper"}, "bucket_name"),
        ({"backup_info__bucket_name": "192.168.1.10"}, "bucket_name"),
        ({"backup_info__file_source": "obs"}, "file_source"),
        ({"options__recovery_mode": "differential"}, "recovery_mode"),
        ({"options__is_default_restore": False}, "db_names"),
        ({"options__reset_db_name_map": {"": "x"}, "options__is_last_backup": False}, "reset"),
        ({"target_db_info__target_instance_id": ""}, "target_instance_id"),
    ],
)
def test_the_simulator_refuses_what_the_documentation_forbids(token_client, changes, reason):
    with pytest.raises(ParameterError) as refused:
        token_client.create_job(body(**changes))
    assert refused.value.status == 400
    assert refused.value.error_code == "DRS.M00007"
    assert reason in refused.value.error_msg


def test_rds_restores_need_the_file_id_and_are_full_only(token_client):
    rds = body(
        backup_info__file_source="RDS",
        backup_info__files=[{"rds_version": "2019_SE", "rds_source_instance_id": "src-in04"}],
    )
    with pytest.raises(ParameterError) as refused:
        token_client.create_job(rds)
    assert "file_id" in refused.value.error_msg
    rds["target_db_info"]["file_id"] = "backup-file-1"
    rds["backup_info"].pop("bucket_name")
    assert token_client.create_job(rds).job_id
    rds["options"]["recovery_mode"] = "incre"
    with pytest.raises(ParameterError) as refused:
        token_client.create_job(rds)
    assert "full only" in refused.value.error_msg


def test_rename_describe_delete_and_tags(drs_client, quick_jobs):
    created = drs_client.create_job(body())
    with pytest.raises(RequestRejected) as refused:
        drs_client.delete_job(created.job_id)  # still running
    assert refused.value.error_code == "DRS.10000001"
    drs_client.update_job(created.job_id, name="renamed-job", description="for the customer")
    job = drs_client.get_job(created.job_id)
    assert (job.base_info.name, job.base_info.description) == ("renamed-job", "for the customer")
    drs_client.add_tags(created.job_id, {"customer": "acme", "ticket": "T-1"})
    drs_client.remove_tags(created.job_id, {"ticket": "T-1"})
    assert [(t.key, t.value) for t in drs_client.job_tags(created.job_id)] == [("customer", "acme")]
    wait_status(drs_client, created.job_id, "SUCCESS")
    assert drs_client.delete_job(created.job_id).request_id
    with pytest.raises(JobNotFound):
        drs_client.get_job(created.job_id)


@pytest.mark.parametrize("method", ["password", "aksk"])
def test_read_only_credentials_get_their_own_error_naming_the_permission(
    simulator, simulator_config, method
):
    common = {"project_id": simulator_config.project_id, "drs_endpoint": simulator.url}
    if method == "password":
        client = DrsClient.with_password(
            iam_endpoint=simulator.url,
            credentials=PasswordCredentials(*READER_USER),
            settings=FAST,
            **common,
        )
    else:
        client = DrsClient.with_access_key(
            credentials=AccessKeyCredentials(READER_ACCESS_KEY, READER_SECRET_KEY),
            settings=FAST,
            **common,
        )
    assert client.list_jobs().count > 0  # reading works
    jobs_before = len(simulator.store)
    with pytest.raises(ActionNotPermitted) as refused:
        client.create_job(body())
    assert refused.value.missing_permission == "drs:backupMigration:create"
    assert len(simulator.store) == jobs_before
    some_job = simulator.store.ids()[0]
    with pytest.raises(ActionNotPermitted):
        client.update_job(some_job, name="nope-nope")


def test_a_lost_create_answer_is_an_unknown_outcome_and_never_retried(token_client, simulator):
    simulator.set_fault("lost_answer", count=1)
    name = f"lost-{int(time.time() * 1000) % 10**8}"
    before = len(simulator.store)
    with pytest.raises(UpstreamUnavailable):
        token_client.create_job(body(base_info__name=name))
    assert len(simulator.store) == before + 1  # created once, not retried
    assert token_client.list_jobs(JobFilters(name=name)).count == 1
