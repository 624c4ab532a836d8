"""Live status: the fragment, 286 when terminal, one upstream call per interval, snapshots."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from jobs.mirror.models import JobSnapshot, JobStatusChange
from tests.support import EXAMPLE_ID, LIVE, run_in_threads


def detail(simulator_config, job_id):
    return f"/v5/{simulator_config.project_id}/backup-migration-jobs/{job_id}"


@pytest.mark.django_db
def test_running_job_polls_then_stops_with_286(login, tenant, simulator, settings):
    settings.JOB_REFRESH_SECONDS = 1
    job_id = simulator.add_live_job(1.5, outcome="SUCCESS")
    client = login("viewer")
    url = f"/tenants/{tenant.slug}/jobs/{job_id}/"

    page = client.get(url).content.decode()
    assert 'data-poll-seconds="1"' in page and "TRANSFERRING" in page

    running = client.get(url, {"seen": "TRANSFERRING"}, **LIVE)
    assert running.status_code == 200
    html = running.content.decode()
    assert html.lstrip().startswith('<section id="job-live"')
    assert "hx-swap-oob" not in html  # nothing changed: only the header

    time.sleep(2.1)
    done = client.get(url, {"seen": "TRANSFERRING"}, **LIVE)
    assert done.status_code == 286
    html = done.content.decode()
    assert "data-poll-seconds" not in html and "SUCCESS" in html
    assert '<div id="job-sections" hx-swap-oob="true">' in html
    assert '<section id="job-history" hx-swap-oob="true">' in html

    snapshot = JobSnapshot.objects.get(tenant=tenant, job_id=job_id)
    assert snapshot.status == "SUCCESS"
    assert list(snapshot.history.values_list("status", flat=True)) == ["TRANSFERRING", "SUCCESS"]
    assert "first seen" in client.get(url).content.decode()


@pytest.mark.django_db
def test_terminal_job_served_from_snapshot(login, tenant, simulator, simulator_config):
    client = login("viewer")
    url = f"/tenants/{tenant.slug}/jobs/{EXAMPLE_ID}/"
    client.get(url)
    simulator.reset_counters()
    for _ in range(3):
        assert client.get(url).status_code == 200
    assert simulator.calls() == 0
    client.get(url, {"refresh": "1"})  # the refresh button forces a call
    assert simulator.calls(detail(simulator_config, EXAMPLE_ID)) == 1


@pytest.mark.django_db
def test_stale_snapshot_when_upstream_fails(login, tenant, simulator, settings):
    settings.JOB_REFRESH_SECONDS = 1
    job_id = simulator.add_live_job(600)
    client = login("viewer")
    url = f"/tenants/{tenant.slug}/jobs/{job_id}/"
    client.get(url)
    simulator.set_fault("http_503", target=job_id)
    time.sleep(1.1)
    response = client.get(url, {"seen": "TRANSFERRING", "errors": "2"}, **LIVE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Stale since" in html and "Could not reach the endpoint" not in html
    assert "DRS is unavailable: it answered HTTP 503" in html
    assert 'data-poll-errors="3"' in html  # the browser backs off
    full = client.get(url).content.decode()
    assert "Stale since" in full and 'id="files"' in full


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fault", "status", "words"),
    [
        ("http_503", 503, "DRS is unavailable"),
        ("drop", 503, "Could not reach"),
        ("throttle", 503, "throttling"),
        ("malformed_json", 502, "not the DRS API"),
        ("expired_token", 502, "refused the credentials"),
    ],
)
def test_failure_pages_without_snapshot(login, tenant, simulator, fault, status, words):
    job_id = simulator.add_live_job(600)
    simulator.set_fault(fault, target=job_id if fault != "expired_token" else "*")
    response = login("admin").get(f"/tenants/{tenant.slug}/jobs/{job_id}/")
    assert response.status_code == status
    html = response.content.decode()
    assert words in html or words in html.replace("\n", " ")
    assert "Traceback" not in html
    if status == 503:
        assert response["Retry-After"]
    if fault == "expired_token":
        assert f"/tenants/{tenant.slug}/edit/" in html  # admins get the link to fix it


@pytest.mark.django_db
def test_not_found_names_tenant_and_code(login, tenant):
    response = login("viewer").get(
        f"/tenants/{tenant.slug}/jobs/00000000-0000-0000-0000-00000000dead/"
    )
    assert response.status_code == 404
    html = response.content.decode()
    assert tenant.name in html and "DRS.10000010" in html
    assert "request id" in html.lower() or "Request id" in html


@pytest.mark.django_db
def test_invalid_id_in_url_is_404_without_a_call(login, tenant, simulator):
    response = login("viewer").get(f"/tenants/{tenant.slug}/jobs/{'a' * 80}/")
    assert response.status_code == 404
    assert simulator.calls() == 0


@pytest.mark.django_db
def test_chinese_ui_calls_drs_in_chinese(login, tenant, simulator):
    client = login("viewer")
    client.cookies["django_language"] = "zh-hans"
    job_id = simulator.add_live_job(600)
    client.get(f"/tenants/{tenant.slug}/jobs/{job_id}/")
    assert simulator.languages() == {"zh-cn": 1}


@pytest.mark.django_db(transaction=True)
def test_fifty_watchers_cost_one_upstream_call_per_interval(
    live_server, tenant, people, simulator, simulator_config, settings, client
):
    settings.JOB_REFRESH_SECONDS = 2
    job_id = simulator.add_live_job(600)
    client.force_login(people["viewer"])
    cookies = {"sessionid": client.cookies["sessionid"].value}
    url = f"{live_server.url}/tenants/{tenant.slug}/jobs/{job_id}/?seen=TRANSFERRING"
    headers = {"HX-Request": "true", "HX-Target": "job-live"}
    simulator.reset_counters()
    start = threading.Barrier(50)
    statuses = []

    def watch():
        with requests.Session() as session:
            start.wait()
            for _ in range(3):  # three polls each, spread over about one interval
                statuses.append(session.get(url, headers=headers, cookies=cookies).status_code)
                time.sleep(0.5)

    began = time.monotonic()
    run_in_threads([watch] * 50)
    elapsed = time.monotonic() - began
    calls = simulator.calls(detail(simulator_config, job_id))
    intervals = elapsed / settings.JOB_REFRESH_SECONDS
    assert statuses == [200] * 150
    assert calls <= int(intervals) + 1, (calls, elapsed)
    assert JobStatusChange.objects.filter(job__job_id=job_id).count() == 1
