"""The job page renders every fact of a job, escaped, with hints for known restore errors."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest

from jobs.hints import HINTS, hints_for, signature
from tests.support import EXAMPLE_ID, job_id_named, text_of

pytestmark = pytest.mark.django_db
SEED = json.loads((Path(__file__).parent.parent / "data" / "seed_example.json").read_text())


def test_seed_example_field_by_field(login, tenant, settings):
    settings.TIME_ZONE = "UTC"
    response = login("viewer").get(f"/tenants/{tenant.slug}/jobs/{EXAMPLE_ID}/")
    assert response.status_code == 200
    html = response.content.decode()
    text = text_of(html)
    expected = [
        "DRS-6813",
        "SUCCESS",
        EXAMPLE_ID,
        tenant.name,
        "Engine SQL Server",
        "Database state: RESTORING — waiting for the next backup in the chain.",
        "Created 2024-08-19 02:27:15 UTC",
        "Finished 2024-08-19 02:29:03 UTC",
        "Duration 1 min 48 s",
        "Error log empty",
        "Source OBS bucket",
        "Bucket zyy-obs",
        "Files 1, about 704 KB in total an estimate",
        "1706510914000_1_Test_Database.bak",
        "704 KB",
        "2024-01-29 06:56:00 UTC",
        "Instance id 0a3182607bc549bcb46cc9a8755761a6in04",
        "Instance name —",
        "FILESTREAM on the target not reported by DRS",
        "Recovery mode Full migration",
        "Last backup no More backups are expected",
        "Overwrites the existing database yes",
        "Pre-check before restoring yes",
        "Deletes the downloaded backup file afterwards no",
        "Consistency check (DBCC) not set for this job",
        "Databases to restore all databases in the backup",
        "New database names none",
        "Description Destination RDS instance name: rds-sqlserver2022-stand",
        "Enterprise project default (0)",
        "Tags —",
    ]
    for fact in expected:
        assert fact in text, fact
    assert "RDS backup file id" not in text  # restored from OBS: there is no RDS file
    assert 'title="UTC 2024-08-19 02:27:15"' in html  # UTC on hover
    raw = re.search(r'<pre id="raw-json">(.*?)</pre>', html, re.S).group(1)
    assert json.loads(unescape(raw)) == SEED
    assert re.search(r'<code id="request-id">[0-9a-f]{32}</code>', html)
    assert "Error log" in text and 'id="error-log-section"' not in html  # no failure section


def test_times_follow_the_users_zone(login, tenant, people):
    from jobs.accounts.models import UserPreference

    UserPreference.objects.create(user=people["viewer"], time_zone="Asia/Shanghai")
    client = login("viewer")
    client.cookies["tz"] = "America/New_York"  # the explicit choice beats the browser's
    text = text_of(client.get(f"/tenants/{tenant.slug}/jobs/{EXAMPLE_ID}/").content.decode())
    assert "Created 2024-08-19 10:27:15 UTC+8" in text


def test_browser_zone_when_no_choice(login, tenant):
    client = login("viewer")
    client.cookies["tz"] = "Europe/Berlin"
    text = text_of(client.get(f"/tenants/{tenant.slug}/jobs/{EXAMPLE_ID}/").content.decode())
    assert "Created 2024-08-19 04:27:15 UTC+2" in text


def test_failed_job_leads_with_error_log_and_hints(login, tenant, simulator):
    job_id = job_id_named(simulator, "restore-salesdb-missing")
    html = login("viewer").get(f"/tenants/{tenant.slug}/jobs/{job_id}/").content.decode()
    assert html.index('id="error-log-section"') < html.index('id="files"')
    assert "The backup file could not be opened" in html
    assert "The restore was aborted" not in html  # 3013 only wraps the 3201 that explains it
    assert "Msg 3201" in html
    assert f"/tenants/{tenant.slug}/jobs/{job_id}/error-log.txt" in html


def test_error_log_download(login, tenant, simulator):
    job_id = job_id_named(simulator, "restore-salesdb-missing")
    response = login("viewer").get(f"/tenants/{tenant.slug}/jobs/{job_id}/error-log.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{job_id}-error-log.txt"'
    assert response.content.decode().startswith("Msg 3201")


def test_hostile_upstream_text_is_escaped(login, tenant, simulator):
    job_id = job_id_named(simulator, "demo-escape-check")
    html = login("viewer").get(f"/tenants/{tenant.slug}/jobs/{job_id}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    log = unescape(re.search(r'<pre id="error-log">(.*?)</pre>', html, re.S).group(1))
    assert "{{ 7*7 }}" in log and "49" not in log  # shown as text, never evaluated
    assert "<img src=x" not in html
    assert "<script" not in html.replace('<script src="/static/', "")


def test_many_files_are_listed_with_count_and_total(login, tenant, simulator):
    job_id = job_id_named(simulator, "erp-incre-cutover")
    job = simulator.store.get(job_id)
    files = job["backup_info"]["file_info"]
    html = login("viewer").get(f"/tenants/{tenant.slug}/jobs/{job_id}/").content.decode()
    body = html.split('<table class="sortable striped">')[1].split("</table>")[0]
    assert body.count("<tr>") == len(files) + 1
    assert f"Files {len(files)}, about" in text_of(html)
    assert "Incremental migration" in html


def test_options_in_words(login, tenant, simulator):
    for job_id in simulator.store.ids():
        options = simulator.store.get(job_id).get("options") or {}
        if options.get("reset_db_name_map") and options.get("consistency_check_mode"):
            break
    else:
        pytest.fail("the simulator seeds no job with a rename map and a consistency check")
    text = text_of(login("viewer").get(f"/tenants/{tenant.slug}/jobs/{job_id}/").content.decode())
    new_name = next(iter(options["reset_db_name_map"].values()))
    assert f"→ {new_name}" in text
    mode = {"sync": "synchronous", "async": "asynchronous"}[options["consistency_check_mode"]]
    assert f"Consistency check (DBCC) {mode}" in text


def test_hint_table():
    log = "Msg 4305, Level 16\nThe log in this backup set begins at LSN 1, which is too recent"
    assert [h.code for h in hints_for(log)] == ["4305"]
    assert hints_for("") == []
    assert (
        signature(log)
        == "Msg 4305: The log in this backup set begins at LSN N, which is too recent"
    )
    assert (
        signature("Precheck failed: disk 12 GB short\nmore") == "Precheck failed: disk N GB short"
    )
    assert len({h.code for h in HINTS}) == len(HINTS)
    insufficient = "Insufficient disk space on the target instance"
    assert [h.code for h in hints_for(insufficient)] == ["disk"]
