"""get_job over real HTTP: every field of the documented example, and lenient parsing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobs.drs import Job, JobNotFound
from jobs.drs.models import parse_epoch_ms, parse_name_list, parse_size
from tests.support import EXAMPLE_ID

SEED_EXAMPLE = json.loads((Path(__file__).parent.parent / "data" / "seed_example.json").read_text())


def test_seed_example_every_field(drs_client):
    job = drs_client.get_job(EXAMPLE_ID)

    assert job.raw == SEED_EXAMPLE
    assert job.id == EXAMPLE_ID
    assert job.status == "SUCCESS" and job.is_terminal and not job.is_failed
    assert job.create_time == datetime(2024, 8, 19, 2, 27, 15, tzinfo=UTC)
    assert job.finish_time == datetime(2024, 8, 19, 2, 29, 3, tzinfo=UTC)
    assert job.duration() == timedelta(minutes=1, seconds=48)
    assert job.backup_info.file_source == "OBS"
    assert job.backup_info.bucket_name == "zyy-obs"
    (file,) = job.backup_info.files
    assert file.name == "1706510914000_1_Test_Database.bak"
    assert file.size_text == "704KB"
    assert file.size_bytes == 704 * 1024
    assert file.last_modified == datetime(2024, 1, 29, 6, 56, tzinfo=UTC)
    assert file.last_modified_raw == "1706511360000"
    assert job.backup_info.total_bytes == 704 * 1024
    assert job.base_info.name == job.name == "DRS-6813"
    assert job.base_info.engine_type == "sqlserver"
    assert job.base_info.enterprise_project_id == "0"
    assert job.base_info.description == "Destination RDS instance name: rds-sqlserver2022-stand"
    assert job.base_info.tags == ()
    assert job.target_db_info.target_instance_id == "0a3182607bc549bcb46cc9a8755761a6in04"
    assert job.target_db_info.ms_file_stream_status == ""
    assert job.target_db_info.file_id == ""
    options = job.options
    assert options.is_cover is True
    assert options.is_default_restore is True
    assert options.is_last_backup is False
    assert options.is_precheck is True
    assert options.is_delete_backup_file is False
    assert options.recovery_mode == "full"
    assert options.db_names == ()
    assert options.reset_db_name_map == ()
    assert options.consistency_check_mode == ""
    assert job.new_db_names == () and job.new_db_names_raw == "[]"
    assert job.instance_name == ""
    assert job.error_log == ""
    assert len(job.request_id) == 32


def test_result_is_immutable(drs_client):
    job = drs_client.get_job(EXAMPLE_ID)
    with pytest.raises(AttributeError):
        job.status = "FAILED"  # type: ignore[misc]


def test_not_found_is_its_own_error(drs_client):
    with pytest.raises(JobNotFound) as caught:
        drs_client.get_job("00000000-0000-0000-0000-00000000dead")
    assert caught.value.status == 400
    assert caught.value.error_code == "DRS.10000010"
    assert "does not exist" in caught.value.error_msg
    assert caught.value.request_id


def test_full_optional_fields():
    job = Job.parse(
        {
            **SEED_EXAMPLE,
            "status": " precheck  failed ",
            "error_log": "Msg 3201",
            "base_info": {"name": "x", "tags": [{"key": "team", "value": "dba"}, "junk"]},
            "target_db_info": {"ms_file_stream_status": "ON", "file_id": "f-1"},
            "options": {
                "reset_db_name_map": {"": "Sales_new"},
                "consistency_check_mode": "async",
                "db_names": ["a", "b"],
                "recovery_mode": "incre",
            },
            "new_db_names": '["Sales_new"]',
        }
    )
    assert job.status == "PRECHECK FAILED" and job.is_failed and job.is_terminal
    assert [(t.key, t.value) for t in job.base_info.tags] == [("team", "dba")]
    assert job.target_db_info.ms_file_stream_status == "ON"
    assert job.options.reset_db_name_map == (("", "Sales_new"),)
    assert job.options.consistency_check_mode == "async"
    assert job.options.db_names == ("a", "b")
    assert job.new_db_names == ("Sales_new",)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("SUCCESS", "SUCCESS"),
        ("success", "SUCCESS"),
        ("Failed", "FAILED"),
        ("transferring", "TRANSFERRING"),
        ("PRECHECK FAILED", "PRECHECK FAILED"),
        ("PAUSED", "PAUSED"),
        (None, ""),
        (3, "3"),
    ],
)
def test_status_normalised(raw, expected):
    job = Job.parse({"status": raw})
    assert job.status == expected
    assert job.is_terminal == (expected in ("SUCCESS", "FAILED", "PRECHECK FAILED"))


def test_running_job_duration_is_elapsed_time():
    job = Job.parse({"status": "TRANSFERRING", "create_time": "2024-08-19T02:27:15Z"})
    now = datetime(2024, 8, 19, 2, 30, 15, tzinfo=UTC)
    assert job.finish_time is None
    assert job.duration(now) == timedelta(minutes=3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("704KB", 720896),
        ("12.4GB", round(12.4 * 1024**3)),
        ("1 MB", 1048576),
        ("17", 17),
        ("3.5 TiB", round(3.5 * 1024**4)),
        ("", None),
        ("big", None),
        ("-1KB", None),
        (None, None),
    ],
)
def test_file_size(text, expected):
    assert parse_size(text) == expected


def test_epoch_and_name_list_edge_cases():
    assert parse_epoch_ms("abc") is None
    assert parse_epoch_ms("9" * 30) is None
    assert parse_name_list("not json") is None
    assert parse_name_list('{"a": 1}') is None
    assert parse_name_list(["a"]) == ("a",)
