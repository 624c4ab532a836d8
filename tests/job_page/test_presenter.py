"""What a DBA reads on the job page and in `jobs show`, for the combinations DRS can send."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jobs import drs
from jobs.drs import Job
from jobs.job_page import presenter
from jobs.upstream.messages import explain
from tests.support import EXAMPLE_ID, LIVE, text_of

SEED = json.loads((Path(__file__).parent.parent / "data" / "seed_example.json").read_text())


def job(**changes) -> Job:
    data = json.loads(json.dumps(SEED))
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return Job.parse(data)


def facts(j: Job) -> dict[str, object]:
    return {f.label: f.value for s in presenter.sections(j) for f in s.facts}


def test_the_documented_example_is_still_restoring():
    state = presenter.database_state(job())  # SUCCESS with is_last_backup=false
    assert state.tone == "waiting" and state.headline.startswith("RESTORING")


def test_a_last_backup_leaves_the_database_online():
    assert presenter.database_state(job(options__is_last_backup=True)).tone == "ok"


def test_a_failed_overwrite_warns_about_the_old_database_and_ha_in_the_past():
    state = presenter.database_state(job(status="FAILED", options__is_cover=True))
    assert state.tone == "failed"
    assert any("turned off the target's high availability" in w for w in state.warnings)
    assert not any("turns off" in w for w in state.warnings)  # it ended: past tense
    assert any("dropped or in RESTORING" in w for w in state.warnings)
    plain = presenter.database_state(job(status="FAILED", options__is_cover=False))
    assert not any("dropped" in w for w in plain.warnings)
    assert "RESTORING" in plain.detail  # without overwrite, the detail says it once


def test_high_availability_is_off_only_while_an_overwrite_runs():
    running = presenter.database_state(
        job(status="TRANSFERRING", finish_time=None, options__is_cover=True)
    )
    assert running.tone == "running"
    assert running.warnings == (
        "Overwrite is on: DRS turns off the target's high availability (primary/standby) "
        "while this job runs.",
    )
    no_cover = job(status="TRANSFERRING", finish_time=None, options__is_cover=False)
    assert presenter.database_state(no_cover).warnings == ()
    done = presenter.database_state(job(status="SUCCESS", options__is_cover=True))
    assert len(done.warnings) == 1 and "turned off" in done.warnings[0]


def test_a_failed_precheck_left_everything_unchanged_and_warns_of_nothing():
    state = presenter.database_state(
        job(status="PRECHECK FAILED", options__is_precheck=True, options__is_cover=True)
    )
    assert state.headline.startswith("Unchanged")
    assert state.warnings == () and state.detail == ""


@pytest.mark.parametrize(
    ("default", "names", "shown", "listed"),
    [
        (True, [], "all databases in the backup", None),
        (False, ["Sales", "HR"], ("Sales", "HR"), None),
        (False, [], "none named in the job", None),  # not "all databases"
        (True, ["Sales"], "all databases in the backup", ("Sales",)),  # the names not hidden
    ],
)
def test_databases_to_restore(default, names, shown, listed):
    f = facts(job(options__is_default_restore=default, options__db_names=names))
    assert f["Databases to restore"] == shown
    assert f.get("Database names in the job") == listed


def test_the_rds_backup_line_follows_the_file_source():
    assert "RDS backup file id" not in facts(job())  # from OBS: no such line
    rds = facts(job(backup_info__file_source="RDS", target_db_info__file_id="f-1"))
    assert rds["RDS backup file id"] == "f-1"
    missing = facts(job(backup_info__file_source="RDS"))
    assert missing["RDS backup file id"] == "not reported by DRS"  # never "restored from OBS"


@pytest.mark.parametrize(
    ("mode", "words"),
    [("1", "Full migration"), ("2", "Incremental migration"), ("incre", "Incremental migration")],
)
def test_numeric_recovery_modes_read_as_words(mode, words):
    assert facts(job(options__recovery_mode=mode))["Recovery mode"] == words


def test_engine_filestream_and_dbcc_in_words():
    f = facts(
        job(target_db_info__ms_file_stream_status="true", options__consistency_check_mode="async")
    )
    assert presenter.engine("sqlserver") == "SQL Server"
    assert f["FILESTREAM on the target"] == "on"
    assert f["Consistency check (DBCC)"] == "asynchronous (async)"
    absent = facts(job())
    assert absent["FILESTREAM on the target"] == "not reported by DRS"
    assert absent["Consistency check (DBCC)"] == "not set for this job"


def test_sizes_as_drs_gives_them_and_the_total_an_estimate():
    files = next(s for s in presenter.sections(job()) if s.id == "files").facts
    total = next(f for f in files if f.label == "Files")
    assert total.value == "1, about 704 KB in total" and "estimate" in total.note


@pytest.mark.parametrize(
    ("size", "shown"),
    [(512, "512 B"), (720896, "704 KB"), (48_318_382_080, "45.0 GB"), (1024**4 * 3, "3.0 TB")],
)
def test_sizes_read_in_the_units_drs_writes(size, shown):
    from jobs.job_page.formatting import file_size

    assert file_size(size) == shown


def test_only_apig_0101_means_the_region_has_no_v5():
    body = '{"error_code": "APIG.0101", "error_msg": "The API does not exist"}'
    not_served = drs.errors.error_for_response(404, body, "")
    other = drs.errors.error_for_response(404, '{"error_code": "X.1", "error_msg": "nope"}', "")
    assert "does not serve the DRS v5" in explain(not_served)
    assert "v5" not in explain(other)


@pytest.mark.django_db
def test_an_unknown_status_with_a_finish_time_is_finished(login, tenant, simulator, settings):
    settings.TIME_ZONE = "UTC"
    simulator.set_fault("unknown_status", target=EXAMPLE_ID, status="ARCHIVED")
    client = login("viewer")
    url = f"/tenants/{tenant.slug}/jobs/{EXAMPLE_ID}/"
    text = text_of(client.get(url, {"refresh": "1"}).content.decode())
    assert "ARCHIVED" in text and "still running" not in text
    assert "Finished 2024-08-19 02:29:03" in text
    poll = client.get(url, {"seen": "ARCHIVED"}, **LIVE)
    assert poll.status_code == 286  # no polling for ever


@pytest.mark.parametrize("status", ["ROLLBACK_FAILED", "precheck_failed", "Failed"])
def test_statuses_that_contain_failed_are_failures(status):
    assert job(status=status).is_failed


@pytest.mark.django_db
def test_an_unknown_running_status_is_polled_slowly(login, tenant, simulator):
    job_id = simulator.add_live_job(600)
    simulator.set_fault("unknown_status", target=job_id, status="PAUSED")
    html = login("viewer").get(f"/tenants/{tenant.slug}/jobs/{job_id}/").content.decode()
    assert "PAUSED" in html and 'data-poll-seconds="60"' in html
