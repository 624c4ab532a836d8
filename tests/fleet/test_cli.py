"""`manage.py jobs show|list` against the simulator, and the serializers behind `--json`."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError

from jobs.drs import JobFilters
from jobs.drs.models import Job, JobSummary
from jobs.fleet.serialize import SUMMARY_FIELDS, job_to_api, summary_to_api
from jobs.upstream.client import client_for
from tests.support import EXAMPLE_ID

ROOT = Path(__file__).resolve().parents[2]
TARGET_ID = "0a3182607bc549bcb46cc9a8755761a6in04"


def jobs(*args: str) -> str:
    out = io.StringIO()
    call_command("jobs", *args, stdout=out)
    return out.getvalue()


def job_id_named(tenant, name: str) -> str:
    page = client_for(tenant).list_jobs(JobFilters(name=name), limit=5)
    return next(j.id for j in page.jobs if j.name == name)


# -- show ------------------------------------------------------------------------------------


def test_show_has_the_page_facts(tenant):
    out = jobs("show", tenant.slug, EXAMPLE_ID)
    assert out.startswith("DRS-6813\n")
    for fact in (
        "Status:",
        "SUCCESS",
        EXAMPLE_ID,
        f"{tenant.name} ({tenant.slug})",
        "Engine:         SQL Server",
        "Created:        2024-08-19 02:27:15 UTC",
        "Finished:       2024-08-19 02:29:03 UTC",
        "Database state: RESTORING — waiting for the next backup in the chain.",
        "1 min 48 s",
        "OBS bucket",
        "zyy-obs",
        "Files:  1, about 704 KB in total (an estimate",
        "1706510914000_1_Test_Database.bak",
        "704 KB ",
        "2024-01-29 06:56:00",
        TARGET_ID,
        "Recovery mode:",
        "Full migration",
        "Description:        Destination RDS instance name: rds-sqlserver2022-stand",
        "default (0)",
        "Request id: ",
    ):
        assert fact in out, fact
    lines = out.splitlines()
    assert any(
        line.startswith("Overwrites the existing database:") and line.endswith(" yes")
        for line in lines
    )
    assert any(line.startswith("Last backup:") and " no (" in line for line in lines)
    assert any(
        line.startswith("Databases to restore:") and "all databases" in line for line in lines
    )
    assert "Error log" not in out
    assert "Request id: —" not in out  # the simulator sends X-Request-Id


def test_show_json_round_trips(tenant):
    data = json.loads(jobs("show", tenant.slug, EXAMPLE_ID, "--json"))
    assert data["id"] == EXAMPLE_ID
    assert data["status"] == "SUCCESS"
    assert data["create_time"] == "2024-08-19T02:27:15Z"
    assert data["finish_time"] == "2024-08-19T02:29:03Z"
    file = data["backup_info"]["file_info"][0]
    assert file == {
        "file_name": "1706510914000_1_Test_Database.bak",
        "file_size": "704KB",
        "file_size_bytes": 720896,
        "file_last_modify": "2024-01-29T06:56:00Z",
    }
    assert data["backup_info"]["bucket_name"] == "zyy-obs"
    assert data["base_info"]["name"] == "DRS-6813"
    assert data["base_info"]["tags"] == []
    assert data["target_db_info"]["target_instance_id"] == TARGET_ID
    assert data["options"]["is_cover"] is True
    assert data["options"]["is_delete_backup_file"] is False
    assert data["options"]["reset_db_name_map"] == {}
    assert data["new_db_names"] == []
    assert data["instance_name"] == ""


def test_show_failed_job_has_error_log_and_hint(tenant):
    out = jobs("show", tenant.slug, job_id_named(tenant, "restore-salesdb-missing"))
    assert "Status:" in out and "FAILED" in out
    assert "Error log\n---------" in out
    assert "Hint: The backup file could not be opened: it was not found." in out
    assert "Msg 3201" in out
    assert out.index("Error log") < out.index("Backup files")  # first, as on the page


def test_show_escapes_terminal_control_characters(tenant):
    """Text from DRS never reaches the terminal as escape sequences."""
    out = jobs("show", tenant.slug, job_id_named(tenant, "demo-escape-check"))
    assert "\x1b" not in out
    assert "<script>alert(1)</script>" in out  # plain text, shown as is


UNSAFE = ("\x1b", "\x9b", "\u202e", "\x07")


def test_hostile_text_is_inert_in_text_json_and_errors(tenant, simulator):
    """C0/C1 controls, ANSI/OSC sequences and bidi overrides from DRS reach neither the terminal
    nor a `--json` consumer raw, and neither does an upstream error message."""
    simulator.set_fault("control_chars", target=EXAMPLE_ID)
    text = jobs("show", tenant.slug, EXAMPLE_ID)
    raw = jobs("show", tenant.slug, EXAMPLE_ID, "--json")
    json.loads(raw)  # valid JSON
    assert not any(c in text or c in raw for c in UNSAFE), (text, raw)
    assert "\\x1b" in text  # shown as a visible escape, not dropped
    simulator.clear_faults()
    simulator.set_fault("throttle", message="slow \x1b]8;;http://evil\x07down\u202e")
    with pytest.raises(CommandError) as failure:
        jobs("show", tenant.slug, EXAMPLE_ID)
    assert failure.value.returncode == 2
    assert not any(c in str(failure.value) for c in UNSAFE), str(failure.value)


def test_show_chinese_and_renames(tenant):
    data = json.loads(jobs("show", tenant.slug, job_id_named(tenant, "财务库迁移-2024"), "--json"))
    assert data["base_info"]["name"] == "财务库迁移-2024"
    assert data["options"]["reset_db_name_map"] == {"": "Finance_2024"}
    assert data["new_db_names"] == ["Finance_2024"]
    out = jobs("show", tenant.slug, data["id"])
    assert "Renamed:" in out and "the database in the backup → Finance_2024" in out


def test_show_errors_in_process(tenant, make_tenant):
    with pytest.raises(CommandError, match=r"DRS\.10000010") as raised:
        jobs("show", tenant.slug, "0667845a-6291-4e2a-95b0-000000jb0000")
    assert raised.value.returncode == 1
    with pytest.raises(CommandError, match="letters, digits and hyphens") as raised:
        jobs("show", tenant.slug, "not/a/job")
    assert raised.value.returncode == 1
    with pytest.raises(CommandError, match="No tenant 'nope'") as raised:
        jobs("show", "nope", EXAMPLE_ID)
    assert raised.value.returncode == 1
    wrong = make_tenant(name="Wrong", password="wrong")
    with pytest.raises(CommandError, match="refused the credentials") as raised:
        jobs("show", wrong.slug, EXAMPLE_ID)
    assert raised.value.returncode == 2


# -- list ------------------------------------------------------------------------------------


def test_list_failed_only(tenant):
    out = jobs("list", tenant.slug, "--status", "failed", "--limit", "15")
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["ID", "NAME", "STATUS"]
    rows, footer = lines[1:-1], lines[-1]
    assert len(rows) == 15
    assert all(" FAILED " in row and "PRECHECK" not in row for row in rows)
    shown, _, total = footer.partition(" of ")
    assert shown == "15" and total.endswith(" jobs") and int(total.split()[0]) >= 15


def test_list_json(tenant):
    data = json.loads(jobs("list", tenant.slug, "--name", "erp", "--json"))
    assert data["count"] == len(data["jobs"]) > 0
    assert all("erp" in job["name"] for job in data["jobs"])
    assert all(set(job) == set(SUMMARY_FIELDS) for job in data["jobs"])
    assert all(job["create_time"].endswith("Z") for job in data["jobs"])


def test_list_paging_and_empty(tenant):
    first = json.loads(jobs("list", tenant.slug, "--limit", "3", "--json"))
    second = json.loads(jobs("list", tenant.slug, "--limit", "3", "--offset", "3", "--json"))
    assert len(first["jobs"]) == len(second["jobs"]) == 3
    assert not {j["id"] for j in first["jobs"]} & {j["id"] for j in second["jobs"]}
    assert jobs("list", tenant.slug, "--name", "no-such-job-anywhere") == "0 of 0 jobs\n"


def test_list_bad_filter(tenant):
    with pytest.raises(CommandError, match="Unknown status 'bogus'") as raised:
        jobs("list", tenant.slug, "--status", "bogus")
    assert raised.value.returncode == 1
    for valid in ('"FAILED"', '"PRECHECK FAILED"', '"SUCCESS"', '"TRANSFERRING"'):
        assert valid in str(raised.value)  # the message lists what would work
    with pytest.raises(CommandError, match="limit") as raised:
        jobs("list", tenant.slug, "--limit", "0")
    assert raised.value.returncode == 1


# -- exit statuses, as a script sees them --------------------------------------------------


@pytest.fixture(scope="module")
def cli(simulator_server, simulator_config, tmp_path_factory):
    """A real `manage.py` with its own database holding one AK/SK tenant on the simulator."""
    access_key, secret_key = next(iter(simulator_config.access_keys.items()))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('cli') / 'cli.sqlite3'}",
        "DRS_SK": secret_key,
        "DRS_DEADLINE": "4",
        "DASHBOARD_CREDENTIAL_KEYS": Fernet.generate_key().decode(),  # no warning on stderr
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    added = subprocess.run(
        [
            *manage,
            "tenant",
            "add",
            "--name",
            "Fleet",
            "--region",
            "ap-southeast-3",
            "--project-id",
            simulator_config.project_id,
            "--auth",
            "aksk",
            "--ak",
            access_key,
            "--drs-endpoint",
            simulator_server.url,
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    slug = added.stdout.strip().splitlines()[-1]

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*manage, "jobs", *(a.replace("SLUG", slug) for a in args)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run


def test_exit_0_and_clean_json_on_stdout(simulator, cli):
    done = cli("show", "SLUG", EXAMPLE_ID, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["backup_info"]["file_info"][0]["file_size_bytes"] == 720896
    assert done.stderr == ""  # no client log lines without -v2
    verbose = cli("-v2", "show", "SLUG", EXAMPLE_ID, "--json")  # before the action
    assert "INFO jobs.drs.client DRS GET" in verbose.stderr
    assert json.loads(verbose.stdout)["id"] == EXAMPLE_ID


def test_exit_1_not_found(simulator, cli):
    done = cli("show", "SLUG", "0667845a-6291-4e2a-95b0-000000jb0000")
    assert done.returncode == 1
    assert "DRS.10000010" in done.stderr and "request id" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_exit_1_invalid_input(simulator, cli):
    assert cli("show", "SLUG", "bad id!").returncode == 1
    assert cli("show", "no-such-tenant", EXAMPLE_ID).returncode == 1
    bogus = cli("list", "SLUG", "--status", "bogus")
    assert bogus.returncode == 1
    assert "Unknown status 'bogus'" in bogus.stderr and "Traceback" not in bogus.stderr


def test_exit_2_upstream_fault(simulator, cli):
    simulator.set_fault("http_503", target="*")
    for args in (("show", "SLUG", EXAMPLE_ID), ("list", "SLUG", "--json")):
        done = cli(*args)
        assert done.returncode == 2, done.stderr
        assert "DRS is unavailable: it answered HTTP 503" in done.stderr
        assert "request id" in done.stderr
        assert "Traceback" not in done.stderr and done.stdout == ""


# -- the serializers on odd bodies ---------------------------------------------------------


def test_job_to_api_on_odd_fields():
    job = Job.parse(
        {
            "id": "x-1",
            "status": " precheck  failed ",
            "create_time": "2024-08-19T10:27:15+08:00",
            "finish_time": "",
            "backup_info": {
                "file_info": [
                    {
                        "file_name": "a.bak",
                        "file_size": "12.5 MB",
                        "file_last_modify": "1706511360123",
                    },
                    {"file_name": "b.bak", "file_size": "huge", "file_last_modify": "yesterday"},
                    "not an object",
                ]
            },
            "options": {"is_cover": "TRUE", "is_precheck": "maybe", "db_names": ["A", None]},
            "new_db_names": "[not json",
        }
    )
    data = job_to_api(job)
    assert data["status"] == "PRECHECK FAILED"
    assert data["create_time"] == "2024-08-19T02:27:15Z"
    assert data["finish_time"] is None
    assert data["backup_info"]["file_info"] == [
        {
            "file_name": "a.bak",
            "file_size": "12.5 MB",
            "file_size_bytes": 13107200,
            "file_last_modify": "2024-01-29T06:56:00.123Z",
        },
        {
            "file_name": "b.bak",
            "file_size": "huge",
            "file_size_bytes": None,
            "file_last_modify": None,
        },
    ]
    assert data["options"]["is_cover"] is True
    assert data["options"]["is_precheck"] is None
    assert data["options"]["is_last_backup"] is None
    assert data["options"]["db_names"] == ["A"]
    assert data["new_db_names"] == "[not json"
    assert data["base_info"] == {
        "name": "",
        "engine_type": "",
        "description": "",
        "enterprise_project_id": "",
        "tags": [],
    }
    assert job_to_api(Job.parse({}))["new_db_names"] is None
    json.dumps(data)  # everything is JSON-ready


def test_summary_to_api():
    item = JobSummary.parse({"id": "x", "name": "n", "status": "success", "create_time": "bad"})
    data = summary_to_api(item)
    assert tuple(data) == SUMMARY_FIELDS
    assert data["status"] == "SUCCESS"
    assert data["create_time"] is None and data["finish_time"] is None
    assert data["error_log"] == ""
