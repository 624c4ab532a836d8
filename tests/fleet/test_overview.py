"""The overview and failures from the mirror, lookup across tenants, and the operators' views."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import timezone

from jobs.drs.models import normalise_status
from jobs.mirror.models import MirroredJob, TenantSyncState
from jobs.sync.tenant import sync_tenant
from jobs.tenants.models import Membership

pytestmark = pytest.mark.django_db
FLEET = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "fleet"}


def counts(simulator) -> dict[str, int]:
    found: dict[str, int] = {}
    for i in simulator.store.ids():
        status = normalise_status(simulator.store.get(i)["status"])
        found[status] = found.get(status, 0) + 1
    return found


def test_overview_is_one_table_from_the_mirror(login, tenant, make_tenant, people, simulator):
    other = make_tenant("Other", auth="aksk")
    Membership.objects.create(user=people["viewer"], tenant=other, role="viewer")
    sync_tenant(tenant)
    TenantSyncState.objects.create(
        tenant=other, failing_since=timezone.now(), error="The gateway refused the signature."
    )
    simulator.reset_counters()
    response = login("viewer").get("/", {"sort": "running", "dir": "desc"})
    html = response.content.decode()
    assert response.status_code == 200 and simulator.calls() == 0
    assert f"<dd>{sum(counts(simulator).values())}</dd>" in html  # all jobs, totals on top
    assert 'id="tenant-acme"' in html and 'id="tenant-other"' in html
    assert "Sync of Other is failing" in html and "refused the signature" in html
    assert "not synced yet" in html and "s ago" in html
    assert 'aria-sort="descending"' in html
    assert html.count("<rect ") > 0 and "<text " in html


def test_overview_fragment_polls(login, tenant):
    html = login("viewer").get("/", **FLEET).content.decode()
    assert html.lstrip().startswith('<div id="fleet"') and 'data-poll-seconds="15"' in html


def test_failures_grouped_by_signature(login, tenant, simulator):
    sync_tenant(tenant)
    simulator.reset_counters()
    html = login("viewer").get("/failures/", {"days": 0}).content.decode()
    found = counts(simulator)
    total = found.get("FAILED", 0) + found.get("PRECHECK FAILED", 0)
    assert f"{total} failed jobs" in html
    assert "<code>Msg 3201: Cannot open backup device" in html
    exported = login("viewer").get("/failures/", {"days": 0, "format": "csv"})
    table = list(
        csv.DictReader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig")))
    )
    assert len(table) == total and all(row["tenant"] == tenant.slug for row in table)
    assert simulator.calls() == 0


def test_failures_only_from_my_tenants(login, tenant, make_tenant, people):
    other = make_tenant("Other", auth="aksk")
    sync_tenant(other)
    html = login("viewer").get("/failures/", {"tenant": other.slug}).content.decode()
    assert "0 failed jobs" in html


def test_lookup_finds_a_job_by_id_alone_across_tenants(
    login, tenant, make_tenant, people, simulator
):
    other = make_tenant("Other", auth="aksk", project_id="0b4c7e2f9a8d4f6e8c1b3a5d7e9f0c2a")
    Membership.objects.create(user=people["viewer"], tenant=other, role="viewer")
    job_id = simulator.store.ids()[5]
    client = login("viewer")
    # Not in the mirror yet: each tenant's DRS is asked (Other's project is refused).
    response = client.get("/jobs/lookup/", {"q": f"see https://console/x?jobId={job_id} pls"})
    assert response.status_code == 302
    assert response["Location"] == f"/tenants/{tenant.slug}/jobs/{job_id}/"
    assert MirroredJob.objects.filter(tenant=tenant, job_id=job_id).exists()
    simulator.reset_counters()
    again = client.get("/jobs/lookup/", {"q": job_id})
    assert again["Location"] == f"/tenants/{tenant.slug}/jobs/{job_id}/"
    assert simulator.calls() == 0  # found in the mirror
    missing = client.get("/jobs/lookup/", {"q": "00000000-0000-0000-0000-00000000abcd"})
    assert missing.status_code == 404 and "None of your tenants" in missing.content.decode()


def test_lookup_never_shows_other_peoples_tenants(login, tenant, make_tenant, simulator):
    other = make_tenant("Hidden", auth="aksk")
    job_id = simulator.store.ids()[3]
    sync_tenant(other)
    response = login("outsider").get("/jobs/lookup/", {"q": job_id})
    assert response.status_code == 404


def test_sync_status_page_and_metrics(login, tenant, client, settings):
    sync_tenant(tenant)
    html = login("root").get("/sync/").content.decode()
    assert 'id="sync-acme"' in html and " ms" in html
    text = client.get("/metrics").content.decode()
    for name in (
        "drs_sync_lag_seconds",
        "drs_sync_upstream_calls_total",
        "drs_jobs{",
        "drs_job_events_waiting",
        "drs_sync_failing",
    ):
        assert name in text, name
    assert f'drs_sync_upstream_calls_total{{outcome="ok",tenant="{tenant.slug}"}}' in text
    settings.METRICS_TOKEN = "scrape-secret"
    assert client.get("/metrics").status_code == 404
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret")
    assert ok.status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.8").status_code == 404


def test_the_overview_lists_what_finished_in_the_last_hour(login, tenant, simulator):
    from jobs.drs.models import SUCCESS

    job_id = simulator.add_live_job(0, "SUCCESS", name="just-finished-here")
    sync_tenant(tenant)
    html = login("viewer").get("/").content.decode()
    recent = html[html.index('id="finished-recently"') :]
    recent = recent[: recent.index("</section>")]
    assert f"/jobs/{job_id}/" in recent and "just-finished-here" in recent
    running = html[html.index('id="running-now"') : html.index('id="finished-recently"')]
    assert f"/jobs/{job_id}/" not in running
    old = MirroredJob.objects.filter(tenant=tenant, status=SUCCESS).order_by("finish_time").first()
    assert f"/jobs/{old.job_id}/" not in recent  # days ago: not "recently"
