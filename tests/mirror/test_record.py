"""The one write path for a detail (`saw_detail`): under the id asked for, snapshot and row in
one transaction, newer wins; and the mirror imports nothing from the layers above it."""

from __future__ import annotations

import ast
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobs.drs import Job
from jobs.mirror import record
from jobs.mirror.models import JobSnapshot, MirroredJob

pytestmark = pytest.mark.django_db
T0 = datetime(2024, 8, 19, 2, 27, 15, tzinfo=UTC)
ASKED = "1b2c3d4e-0000-4000-8000-000000000001"


def answer(status: str, body_id: str = ASKED, **fields) -> Job:
    data = {
        "id": body_id,
        "status": status,
        "create_time": "2024-08-19T02:27:15Z",
        "base_info": {"name": "sales"},
        **fields,
    }
    return Job.parse(data, raw_json=json.dumps(data), request_id="r1")


def test_a_detail_is_kept_under_the_id_asked_for_and_newer_wins(make_tenant):
    tenant = make_tenant()
    other = "9f9f9f9f-0000-4000-8000-000000000002"
    wrote = record.saw_detail(tenant, ASKED, answer("TRANSFERRING", other), T0)
    assert wrote
    row = MirroredJob.objects.get(tenant=tenant)
    assert (row.job_id, row.status, row.snapshot.job_id) == (ASKED, "TRANSFERRING", ASKED)
    assert not JobSnapshot.objects.filter(job_id=other).exists()

    late = answer("SUCCESS", finish_time="2024-08-19T02:29:03Z")
    assert not record.saw_detail(tenant, ASKED, late, T0 - timedelta(seconds=1))
    row.refresh_from_db()
    assert row.status == "TRANSFERRING" and row.snapshot.status == "TRANSFERRING"
    assert row.snapshot.fetched_at == T0

    assert record.saw_detail(tenant, ASKED, late, T0 + timedelta(minutes=2))
    row.refresh_from_db()
    assert row.status == row.snapshot.status == "SUCCESS"
    assert list(row.history.values_list("status", flat=True)) == ["TRANSFERRING", "SUCCESS"]
    assert list(row.events.values_list("kind", flat=True)) == ["succeeded"]


def test_an_id_that_is_no_job_id_writes_nothing(make_tenant):
    tenant = make_tenant()
    assert not record.saw_detail(tenant, "../x", answer("SUCCESS"), T0)
    assert not MirroredJob.objects.exists() and not JobSnapshot.objects.exists()


class Broken(Exception):
    pass


def test_snapshot_and_row_are_written_in_one_transaction(make_tenant, monkeypatch):
    tenant = make_tenant()

    def failing(*args, **kwargs):
        raise Broken

    monkeypatch.setattr(record, "observe", failing)
    with pytest.raises(Broken):
        record.saw_detail(tenant, ASKED, answer("TRANSFERRING"), T0)
    assert not JobSnapshot.objects.exists()  # rolled back with the row


def test_an_event_and_what_its_receivers_write_commit_together(make_tenant):
    """The outbox hears of events through `job_event_recorded`, inside the transaction: a
    receiver that fails rolls the event (and the row's change) back with it."""
    from jobs.mirror.signals import job_event_recorded

    tenant = make_tenant()
    record.saw_detail(tenant, ASKED, answer("TRANSFERRING"), T0)
    heard = []

    def failing(sender, event, **kwargs):
        heard.append(event.kind)
        raise Broken

    job_event_recorded.connect(failing)
    try:
        with pytest.raises(Broken):
            record.saw_detail(tenant, ASKED, answer("FAILED"), T0 + timedelta(minutes=1))
    finally:
        job_event_recorded.disconnect(failing)
    assert heard == ["failed"]
    row = MirroredJob.objects.get(tenant=tenant)
    assert row.status == row.snapshot.status == "TRANSFERRING" and not row.events.exists()


def test_deleted_is_news_once(make_tenant):
    tenant = make_tenant()
    record.saw_detail(tenant, ASKED, answer("TRANSFERRING"), T0)
    assert record.mark_deleted(tenant, ASKED, T0 + timedelta(minutes=1))
    assert not record.mark_deleted(tenant, ASKED, T0 + timedelta(minutes=2))
    row = MirroredJob.objects.get(tenant=tenant)
    assert row.deleted_at == T0 + timedelta(minutes=1) and not row.is_alive
    assert list(row.events.values_list("kind", flat=True)) == ["deleted"]


# -- layers ----------------------------------------------------------------------------------

MIRROR = Path(__file__).resolve().parents[2] / "jobs" / "mirror"
BELOW = ("jobs.drs", "jobs.tenants", "jobs.hints", "jobs.lib", "jobs.mirror")


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_mirror_imports_nothing_above_it():
    files = sorted(MIRROR.glob("*.py"))
    assert {f.name for f in files} >= {"models.py", "record.py", "signals.py"}
    upward = {
        f"{f.name}: {name}"
        for f in files
        for name in imported(f)
        if (name == "jobs" or name.startswith("jobs.")) and not name.startswith(BELOW)
    }
    assert upward == set()
