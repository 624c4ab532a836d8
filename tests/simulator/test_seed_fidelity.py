"""The seed holds only what the create page allows (drs-api.md §1, §2, §9), read over HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
import requests

from jobs.simulator import Simulator, SimulatorConfig
from tests.simulator.support import token_for, token_headers

LOG_ERRORS = ("4305", "4326", "4330", "3117")
MSG_LINE = re.compile(r"^Msg (\d+), Level \d+, State \d+, Line \d+$", re.M)
# Opening words of SQL Server messages we seed, to spot them without their Msg line.
BARE_TEXTS = {
    "3201": "Cannot open backup device",
    "3241": "The media family on device",
    "3154": "The backup set holds a backup of a database other than",
    "4305": "which is too recent to apply to the database",
    "4326": "which is too early to apply to the database",
    "4330": "recovery path that is inconsistent",
    "5133": "Directory lookup for the file",
}


@pytest.fixture(scope="module")
def details() -> Iterator[list[dict]]:
    config = SimulatorConfig(live_jobs=0, seed_faults=False)
    with Simulator(config) as simulator, requests.Session() as http:
        http.headers.update(token_headers(token_for(simulator)))
        base = f"{simulator.url}/v5/{config.project_id}/backup-migration-jobs"
        listed = http.get(base, params={"limit": 5000}, timeout=5).json()["jobs"]
        yield [http.get(f"{base}/{job['id']}", timeout=5).json() for job in listed]


def incremental(job: dict) -> bool:
    return job["options"]["recovery_mode"] in ("incre", "2")


def test_recovery_modes_named_and_numeric(details) -> None:
    modes = {job["options"]["recovery_mode"] for job in details}
    assert modes == {"full", "incre", "1", "2"}


def test_rds_source_is_full_only(details) -> None:
    rds = [job for job in details if job["backup_info"]["file_source"] == "RDS"]
    assert len(rds) >= 3
    for job in rds:
        assert job["target_db_info"]["file_id"]
        assert not incremental(job), job["base_info"]["name"]
    obs = [job for job in details if job["backup_info"]["file_source"] == "OBS"]
    assert all("file_id" not in job["target_db_info"] for job in obs)


def test_rename_only_with_full_last_backup(details) -> None:
    renamed = [job for job in details if job["options"].get("reset_db_name_map")]
    assert len(renamed) >= 3
    for job in renamed:
        assert not incremental(job) and job["options"]["is_last_backup"] is True
        assert json.loads(job["new_db_names"]) == list(job["options"]["reset_db_name_map"].values())
    others = [job for job in details if not job["options"].get("reset_db_name_map")]
    assert {job["new_db_names"] for job in others} == {"[]"}


def test_precheck_failed_only_with_precheck(details) -> None:
    failed = [job for job in details if job["status"].upper() == "PRECHECK FAILED"]
    assert len(failed) >= 2
    assert all(job["options"]["is_precheck"] is True for job in failed)


def codes(log: str) -> set[str]:
    """SQL Server message numbers in an error log, with or without their Msg lines."""
    bare = {code for code, text in BARE_TEXTS.items() if text in log}
    return set(MSG_LINE.findall(log)) | bare


def test_log_restore_errors_only_on_incremental_trn_jobs(details) -> None:
    seen: set[str] = set()
    for job in details:
        found = codes(job.get("error_log") or "") & set(LOG_ERRORS)
        if found:
            seen |= found
            assert incremental(job), job["base_info"]["name"]
            assert job["backup_info"]["file_info"][-1]["file_name"].endswith(".trn")
    assert {"4305", "4326", "4330"} <= seen


def test_incremental_jobs_restore_log_backups(details) -> None:
    for job in (job for job in details if incremental(job)):
        names = [f["file_name"] for f in job["backup_info"]["file_info"]]
        assert names[-1].endswith(".trn"), job["base_info"]["name"]
        assert all(name.endswith(".trn") for name in names[1:])


def test_error_logs_with_and_without_msg_lines(details) -> None:
    logs = [job.get("error_log") or "" for job in details if job["status"].upper() == "FAILED"]
    wanted = {"3201", "3241", "3154", "4305", "4326", "1834", "5133", "3257", "3013", "3634"}
    assert wanted <= set().union(*(codes(log) for log in logs))
    with_msg = [log for log in logs if MSG_LINE.search(log)]
    without_msg = [log for log in logs if codes(log) and not MSG_LINE.search(log)]
    assert len(with_msg) >= 10 and len(without_msg) >= 3
