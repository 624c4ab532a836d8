"""Messages that read well: the error itself (not its "Msg N" header) with the hint's title,
one line per message in the server log, links from DASHBOARD_BASE_URL (`make run` sets it from
PORT)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from jobs.notify import services
from jobs.notify.messages import first_error_line

from .conftest import drain, transition

ROOT = Path(__file__).resolve().parents[2]
LOG = (
    "Msg 3634, Level 16, State 1, Line 1\n"
    "The operating system returned the error '32(The process cannot access the file because "
    "it is being used by another process.)' while attempting 'RestoreContainer::ValidateTarget"
    "Container' on 'D:\\data\\HR.mdf'.\n"
    "Msg 3013, Level 16, State 1, Line 1\nRESTORE DATABASE is terminating abnormally.\n"
)


@pytest.mark.parametrize(
    ("log", "first"),
    [
        (LOG, "The operating system returned the error '32(The process"),
        ("Msg 3201, Level 16, State 2, Line 1 Cannot open backup device 'x'.", "Cannot open"),
        (
            "2024-08-19 02:28:01.12 spid57      Error: 3041, Severity: 16, State: 1.\n"
            "2024-08-19 02:28:01.12 spid57      BACKUP failed to complete.",
            "BACKUP failed",
        ),
        ("Precheck failed: the backup file version is later.", "Precheck failed: the backup"),
        ("Msg 3201, Level 16, State 2, Line 1\n", ""),
    ],
)
def test_the_error_is_the_first_line_that_is_not_a_header(log, first):
    found = first_error_line(log)
    assert found.startswith(first) if first else found == ""


def test_the_log_channel_writes_one_readable_line_per_message(ntenant, caplog):
    channel, _ = services.add_channel(ntenant, "Server log", "log://", actor_name="t")
    services.add_rule(ntenant, "failed", channel, actor_name="t")
    with caplog.at_level(logging.INFO, logger="jobs.notify.transport"):
        transition(ntenant, "job-7", "FAILED", name="hr restore", error_log=LOG)
        drain()
    (record,) = [r for r in caplog.records if r.getMessage().startswith("Notification")]
    line = record.getMessage()
    assert "\n" not in line and "\\x0a" not in line
    assert line.startswith("Notification [Server log] Job failed: hr restore · Tenant: Acme · ")
    assert "Error: The operating system returned the error '32(The process cannot access" in line
    assert "Likely cause: " in line
    assert line.endswith(" · https://dash.example.com/tenants/acme/jobs/job-7/")


def test_make_run_points_links_at_its_own_port(tmp_path):
    """The first command of `make run`, replaced by one that prints what it was given."""
    make = shutil.which("make")
    if not make:
        pytest.skip("make is not installed")
    probe = tmp_path / "probe"
    probe.write_text(
        '#!/bin/sh\necho "BASE=$DASHBOARD_BASE_URL LEVEL=$REQUEST_LOG_LEVEL DRS=$DRS_CALL_LOG_LEVEL"\nexit 3\n'
    )
    probe.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "DASHBOARD_BASE_URL"}
    done = subprocess.run(
        [make, "-s", "-o", ".venv/.installed", "run", "PORT=9137", f"PY={probe}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "BASE=http://127.0.0.1:9137 LEVEL=WARNING DRS=WARNING" in done.stdout, (
        done.stdout + done.stderr
    )
