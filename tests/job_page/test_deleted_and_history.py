"""A job DRS deleted keeps its last page, marked "deleted in DRS"; history shows DRS's own time."""

from __future__ import annotations

from uuid import uuid4

import pytest

from jobs.mirror.models import MirroredJob
from tests.support import LIVE, text_of

pytestmark = pytest.mark.django_db


def test_a_deleted_job_shows_its_last_answer_marked_deleted(login, tenant, simulator, settings):
    settings.JOB_REFRESH_SECONDS = 1
    job_id = simulator.add_live_job(600)
    client = login("viewer")
    url = f"/tenants/{tenant.slug}/jobs/{job_id}/"
    assert client.get(url).status_code == 200  # seen once: a snapshot and a mirror row
    simulator.store.remove(job_id)
    client.get(url, {"refresh": "1"})
    page = client.get(url)
    text = text_of(page.content.decode())
    assert page.status_code == 200
    assert "Deleted in DRS: DRS no longer has this job" in text
    assert "TRANSFERRING" in text  # what we last saw
    assert MirroredJob.objects.get(tenant=tenant, job_id=job_id).deleted_at is not None
    poll = client.get(url, {"seen": "TRANSFERRING", "refresh": "1"}, **LIVE)
    assert poll.status_code == 286  # nothing more will come: polling ends


def test_a_job_never_seen_and_gone_is_not_found(login, tenant):
    response = login("viewer").get(
        f"/tenants/{tenant.slug}/jobs/aaaaaaaa-0000-0000-0000-000000000000/"
    )
    assert response.status_code == 404


def test_history_shows_when_drs_says_the_job_finished(login, tenant, simulator, settings):
    """The sync noticed the failure later than it happened: the timeline shows DRS's time."""
    from jobs.mirror.models import JobStatusChange
    from jobs.sync.tenant import sync_tenant

    settings.TIME_ZONE = "UTC"
    sync_tenant(tenant)
    change = JobStatusChange.objects.filter(job__tenant=tenant, finish_time__isnull=False).first()
    assert change is not None and change.finish_time != change.seen_at
    url = f"/tenants/{tenant.slug}/jobs/{change.job.job_id}/"
    text = text_of(login("viewer").get(url).content.decode())
    shown = change.finish_time.strftime("%Y-%m-%d %H:%M:%S")
    assert f"{change.status} {shown}" in text
    assert "finish time from DRS; noticed" in text


def test_other_jobs_on_the_same_target_instance(login, tenant, simulator):
    instance = f"rds-{uuid4().hex}"  # only these two jobs restore into it
    second = simulator.add_live_job(600, target_instance_id=instance)
    first = simulator.add_live_job(600, target_instance_id=instance)
    client = login("viewer")
    url = f"/tenants/{tenant.slug}/jobs/{first}/"
    page = client.get(url).content.decode()
    assert "Show the other jobs on this target instance" in page
    simulator.reset_counters()
    fragment = client.get(
        url, {"others": "1"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="same-target"
    )
    html = fragment.content.decode()
    assert fragment.status_code == 200 and html.lstrip().startswith('<div id="same-target">')
    assert f"/jobs/{second}/" in html and f"/jobs/{first}/" not in html
    client.get(url, {"others": "1"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="same-target")
    assert simulator.calls() == 1  # shared for a minute
    without_js = client.get(url, {"others": "1"}).content.decode()
    assert f"/jobs/{second}/" in without_js


def test_every_file_of_a_huge_job_as_csv(login, tenant, simulator):
    """The page lists the first few hundred files; the CSV has them all."""
    import csv
    import io

    files = [
        {
            "file_name": f"Sales_LOG_{n:05d}.trn",
            "file_size": "12MB",
            "file_last_modify": str(1706511360000 + n * 60_000),
        }
        for n in range(1200)
    ]
    job_id = simulator.add_live_job(0, backup_info={"file_source": "OBS", "file_info": files})
    client = login("viewer")
    page = client.get(f"/tenants/{tenant.slug}/jobs/{job_id}/").content.decode()
    assert "Showing the first 500 of 1200 files." in text_of(page)
    table = page.split('<table class="sortable', 1)[1].split("</table>", 1)[0]
    assert table.count("Sales_LOG_") == 500
    response = client.get(f"/tenants/{tenant.slug}/jobs/{job_id}/files.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{job_id}-files.csv"'
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 1200 and rows[-1]["file_name"] == "Sales_LOG_01199.trn"
    assert rows[0]["file_last_modify"] == "2024-01-29T06:56:00+00:00"
