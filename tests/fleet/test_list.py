"""A tenant's job list from the mirror: filters, sort, paging, remembered filters, exports, and
not one upstream call to show it."""

from __future__ import annotations

import csv
import io
import json

import pytest

from jobs.drs.models import normalise_status
from jobs.mirror.models import TenantSyncState
from jobs.sync.tenant import sync_tenant
from tests.support import TABLE

pytestmark = pytest.mark.django_db


def rows(html: str) -> int:
    return html.split("<tbody>")[1].split("</tbody>")[0].count("<tr>")


def statuses(simulator) -> list[str]:
    return [normalise_status(simulator.store.get(i)["status"]) for i in simulator.store.ids()]


@pytest.fixture
def synced(tenant, simulator):
    assert sync_tenant(tenant).ok
    simulator.reset_counters()
    return tenant


def test_filters_sort_and_paging_without_upstream_calls(login, synced, simulator):
    client = login("viewer")
    failed = statuses(simulator).count("FAILED")
    response = client.get(f"/tenants/{synced.slug}/jobs/", {"status": "FAILED", "size": 10})
    html = response.content.decode()
    assert response.status_code == 200
    assert f"{failed} jobs match" in html and f"page 1 of {-(-failed // 10)}" in html
    assert rows(html) == min(failed, 10)
    second = client.get(
        f"/tenants/{synced.slug}/jobs/", {"status": "FAILED", "size": 10, "page": 2}
    ).content.decode()
    assert "page 2 of" in second and 'rel="prev"' in second
    by_name = client.get(f"/tenants/{synced.slug}/jobs/", {"sort": "name", "dir": "asc"})
    assert by_name.status_code == 200
    assert simulator.calls() == 0


def test_fragment_refreshes_every_15_seconds(login, synced):
    response = login("viewer").get(
        f"/tenants/{synced.slug}/jobs/", {"status": "TRANSFERRING"}, **TABLE
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="job-table"') and "<h1>" not in html
    assert 'data-poll-seconds="15"' in html
    assert "synced" in html and "s ago" in html


def test_filters_are_remembered_per_user(login, synced):
    client = login("viewer")
    client.get(f"/tenants/{synced.slug}/jobs/", {"status": "FAILED"})
    response = client.get(f"/tenants/{synced.slug}/jobs/")
    assert response.status_code == 302 and "status=FAILED" in response["Location"]
    assert client.get(f"/tenants/{synced.slug}/jobs/", {"reset": 1}).status_code == 302


def test_failing_sync_is_a_banner_over_the_last_mirror(login, synced):
    from django.utils import timezone

    TenantSyncState.objects.filter(tenant=synced).update(
        failing_since=timezone.now(), error="DRS is unavailable: it answered HTTP 503."
    )
    html = login("viewer").get(f"/tenants/{synced.slug}/jobs/").content.decode()
    assert "is failing" in html and "HTTP 503" in html
    assert rows(html) == 25  # the last mirror is still shown


def test_exports_follow_filters_and_escape(login, tenant, simulator):
    simulator.add_live_job(600, name='=HYPERLINK("http://evil")', error_log='a,"b"\nc')
    sync_tenant(tenant)
    client = login("viewer")
    response = client.get(f"/tenants/{tenant.slug}/jobs/", {"name": "HYPERLINK", "format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == 1
    assert table[0]["name"] == '\'=HYPERLINK("http://evil")'
    assert table[0]["status"] == "TRANSFERRING"
    failed = client.get(f"/tenants/{tenant.slug}/jobs/", {"status": "FAILED", "format": "json"})
    data = json.loads(b"".join(failed.streaming_content))
    assert data["complete"] is True and data["tenant"] == tenant.slug
    assert len(data["jobs"]) == statuses(simulator).count("FAILED")


def test_an_unsynced_tenant_says_so(login, tenant):
    html = login("viewer").get(f"/tenants/{tenant.slug}/jobs/").content.decode()
    assert "not synced yet" in html and "0 jobs match" in html
