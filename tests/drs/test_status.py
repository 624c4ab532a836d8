"""JobStatus: normalised as drs-api.md §2 says; a finish time wins over the status."""

from __future__ import annotations

import pickle

import pytest

from jobs.drs import Job, JobStatus
from jobs.drs.models import (
    FAILED,
    FAILED_STATUSES,
    KNOWN_STATUSES,
    PRECHECK_FAILED,
    SUCCESS,
    TERMINAL_STATUSES,
    TRANSFERRING,
    JobSummary,
    is_terminal,
    normalise_status,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("precheck_failed", "PRECHECK FAILED"),
        (" Precheck \t failed ", "PRECHECK FAILED"),
        ("PRECHECK_FAILED", "PRECHECK FAILED"),
        ("success", "SUCCESS"),
        ("Transferring", "TRANSFERRING"),
        ("Paused", "Paused"),
        ("  odd  value ", "  odd  value "),
        (None, ""),
        (7, "7"),
    ],
)
def test_normalised(raw, expected):
    status = JobStatus(raw)
    assert status == expected
    assert isinstance(status, str) and type(status) is JobStatus


@pytest.mark.parametrize(
    ("raw", "known", "failed", "terminal", "running"),
    [
        ("TRANSFERRING", True, False, False, True),
        ("success", True, False, True, False),
        ("failed", True, True, True, False),
        ("precheck_failed", True, True, True, False),
        ("ROLLBACK_FAILED", False, True, True, False),
        ("PAUSED", False, False, False, False),
        ("", False, False, False, False),
    ],
)
def test_properties(raw, known, failed, terminal, running):
    status = JobStatus(raw)
    assert (status.is_known, status.is_failed, status.is_terminal, status.is_running) == (
        known,
        failed,
        terminal,
        running,
    )
    assert is_terminal(raw) == terminal


def test_constants_and_old_names():
    assert JobStatus.PRECHECK_FAILED == PRECHECK_FAILED == "PRECHECK FAILED"
    assert {JobStatus.TRANSFERRING, JobStatus.SUCCESS, JobStatus.FAILED} == {
        TRANSFERRING,
        SUCCESS,
        FAILED,
    }
    assert set(KNOWN_STATUSES) == JobStatus.KNOWN
    assert {"SUCCESS", "FAILED", "PRECHECK FAILED"} == TERMINAL_STATUSES
    assert {"FAILED", "PRECHECK FAILED"} == FAILED_STATUSES
    assert normalise_status("precheck_failed") == "PRECHECK FAILED"
    assert "SUCCESS" in {JobStatus("success")}  # hashes as the plain string


def test_pickles_as_itself():
    status = pickle.loads(pickle.dumps(JobStatus("precheck_failed")))  # noqa: S301 (our own bytes)
    assert type(status) is JobStatus and status == "PRECHECK FAILED" and status.is_failed


def test_job_status_is_a_jobstatus():
    job = Job.parse({"status": "precheck_failed"})
    summary = JobSummary.parse({"id": "a-1", "status": "precheck_failed"})
    for item in (job, summary):
        assert type(item.status) is JobStatus
        assert item.status == "PRECHECK FAILED" and item.is_failed and item.is_terminal
        assert item.status_raw == "precheck_failed"


@pytest.mark.parametrize("status", ["TRANSFERRING", "PAUSED", "", None])
def test_finish_time_wins(status):
    data = {"id": "a-1", "status": status, "create_time": "2024-08-19T02:27:15Z"}
    finished = {**data, "finish_time": "2024-08-19T02:29:03Z"}
    for parse in (Job.parse, JobSummary.parse):
        assert not parse(data).is_terminal
        job = parse(finished)
        assert job.is_terminal and not job.is_failed
        assert job.duration().total_seconds() == 108
