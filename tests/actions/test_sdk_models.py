"""The request bodies we send are accepted by the official SDK's models
(`huaweicloudsdkdrs` `CreateOfflineTaskReq`); the action tests check every body they send too
(tests/actions/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.actions.body import BackupFile, CreateRequest
from jobs.actions.prefill import KINDS, prefill
from jobs.drs import Job
from tests.actions.sdk import create_offline_task_req

OBS = CreateRequest(
    name="erp-full-0312",
    target_instance_id="0a3182607bc549bcb46cc9a8755761a6in04",
    files=[BackupFile("1706510914000_1_Sales.bak", "backups/")],
    bucket_name="erp-backups",
)
VARIANTS = {
    "obs-minimal": OBS,
    "obs-everything": CreateRequest(
        name="erp-one-db",
        target_instance_id="in04",
        bucket_name="b-1",
        description="d",
        enterprise_project_id="ep-1",
        ms_file_stream_status="true",
        tags={"customer": "acme"},
        files=[BackupFile("a.bak"), BackupFile("b.bak", "x/")],
        is_default_restore=False,
        db_names=["Sales"],
        new_db_name="Sales2",
        is_cover=True,
        is_delete_backup_file=False,
        consistency_check_mode="async",
    ),
    "obs-incremental": CreateRequest(
        name="erp-incre",
        target_instance_id="in04",
        bucket_name="b-1",
        recovery_mode="incre",
        is_last_backup=False,
        files=[BackupFile("x.trn")],
        consistency_check_mode="sync",
    ),
    "rds": CreateRequest(
        name="erp-rds",
        target_instance_id="in04",
        file_source="RDS",
        file_id="f-1",
        files=[BackupFile(rds_version="2019_SE", rds_source_instance_id="src-in04")],
    ),
}


@pytest.mark.parametrize("name", VARIANTS)
def test_every_kind_of_body_builds_the_sdk_model(name):
    request = create_offline_task_req(VARIANTS[name].body())
    assert request.base_info.engine_type == "sqlserver"


@pytest.mark.parametrize("kind", KINDS)
def test_prefilled_bodies_build_the_sdk_model(kind):
    job = Job.parse_json((Path(__file__).parents[1] / "data" / "seed_example.json").read_text())
    filled = prefill(job, kind)
    if not filled.request.files:
        filled.request.files = [BackupFile("next.trn")]
    create_offline_task_req(filled.request.body())


def test_a_body_the_sdk_does_not_know_is_caught():
    body = OBS.body()
    body["options"]["is_precheck_please"] = True
    with pytest.raises(KeyError):
        create_offline_task_req(body)
    body = OBS.body()
    body["options"]["is_cover"] = "false"
    with pytest.raises(TypeError):
        create_offline_task_req(body)
