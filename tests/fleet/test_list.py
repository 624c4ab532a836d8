"""A tenant's job list: filters in the URL, paging through the upstream count, remembered filters."""

from __future__ import annotations

import csv
import io
import json
import threading

import pytest

from jobs.drs.models import TRANSFERRING
from tests.support import TABLE

pytestmark = pytest.mark.django_db
POLL = {**TABLE, "HTTP_HX_TRIGGER": "job-table"}


def rows(html: str) -> int:
    return html.split("<tbody>")[1].split("</tbody>")[0].count("<tr>")


def list_path(config) -> str:
    return f"/v5/{config.project_id}/backup-migration-jobs"


def test_filters_reach_upstream_and_the_count_pages(login, tenant, simulator, simulator_config):
    failed = sum(
        1
        for i in simulator.store.ids()
        if (simulator.store.get(i)["status"] or "").upper() == "FAILED"
    )
    response = login("viewer").get(
        f"/tenants/{tenant.slug}/jobs/", {"status": "FAILED", "size": 10}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f"{failed} jobs match" in html and f"page 1 of {-(-failed // 10)}" in html
    assert rows(html) == 10
    assert html.count("badge-failed") == 10
    assert simulator.calls(list_path(simulator_config)) == 1


def test_page_two_is_offset(login, tenant):
    client = login("viewer")
    first = client.get(f"/tenants/{tenant.slug}/jobs/", {"size": 10}).content.decode()
    second = client.get(f"/tenants/{tenant.slug}/jobs/", {"size": 10, "page": 2}).content.decode()
    assert "page 2 of" in second
    names = lambda html: set(html.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:])  # noqa: E731
    assert not names(first) & names(second)


@pytest.mark.parametrize(
    ("query", "message"),
    [({"created_from": "yesterday"}, "Enter a valid date"),
     ({"instance": ",".join(f"i{n}" for n in range(11))}, "At most 10"),
     ({"status": "DONE"}, "Select a valid choice"), ({"size": "1000"}, "Select a valid choice")],
)  # fmt: skip
def test_bad_filters_are_400_with_a_message_and_no_call(login, tenant, simulator, query, message):
    response = login("viewer").get(f"/tenants/{tenant.slug}/jobs/", query)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert simulator.calls() == 0


def test_filters_are_remembered_per_user(login, tenant):
    client = login("viewer")
    client.get(f"/tenants/{tenant.slug}/jobs/", {"status": "FAILED", "name": "restore"})
    back = client.get(f"/tenants/{tenant.slug}/jobs/")
    assert back.status_code == 302
    assert back["Location"] == f"/tenants/{tenant.slug}/jobs/?status=FAILED&name=restore"
    other = login("admin").get(f"/tenants/{tenant.slug}/jobs/")
    assert other.status_code == 200  # someone else's filters are their own
    client = login("viewer")
    assert client.get(f"/tenants/{tenant.slug}/jobs/", {"reset": "1"}).status_code == 302
    assert client.get(f"/tenants/{tenant.slug}/jobs/").status_code == 200


def test_fragment_polls_only_while_jobs_run(login, tenant, simulator):
    job_id = simulator.add_live_job(600, name="list-live-probe")
    client = login("viewer")
    running = client.get(f"/tenants/{tenant.slug}/jobs/", {"name": "list-live-probe"}, **POLL)
    assert running.status_code == 200
    html = running.content.decode()
    assert html.lstrip().startswith('<div id="job-table"') and "data-poll-seconds" in html
    assert job_id in html and TRANSFERRING in html
    done = client.get(f"/tenants/{tenant.slug}/jobs/", {"status": "SUCCESS"}, **POLL)
    assert done.status_code == 286
    assert "data-poll-seconds" not in done.content.decode()


@pytest.mark.django_db(transaction=True)  # the threads use their own database connections
def test_many_viewers_cost_one_list_call(login, tenant, simulator, simulator_config, settings):
    settings.JOB_REFRESH_SECONDS = 30
    client = login("viewer")
    url = f"/tenants/{tenant.slug}/jobs/"
    statuses = []
    start = threading.Barrier(20)

    def view():
        start.wait()
        statuses.append(client.get(url, {"status": "SUCCESS"}, **TABLE).status_code)

    threads = [threading.Thread(target=view) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 20
    assert simulator.calls(list_path(simulator_config)) == 1


def test_upstream_failure_is_a_banner(login, tenant, simulator):
    simulator.set_fault("throttle", target="*")
    response = login("viewer").get(f"/tenants/{tenant.slug}/jobs/")
    assert response.status_code == 200
    assert "throttling" in response.content.decode()


def test_csv_export_follows_filters_and_escapes(login, tenant, simulator):
    simulator.add_live_job(600, name='=HYPERLINK("http://evil")', error_log='a,"b"\nc')
    client = login("viewer")
    response = client.get(f"/tenants/{tenant.slug}/jobs/", {"name": "HYPERLINK", "format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="{tenant.slug}-jobs-')
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == 1
    assert table[0]["name"] == '\'=HYPERLINK("http://evil")'  # defused: shown, never run
    assert table[0]["status"] == "TRANSFERRING"

    failed = client.get(f"/tenants/{tenant.slug}/jobs/", {"status": "FAILED", "format": "json"})
    data = json.loads(b"".join(failed.streaming_content))
    assert data["complete"] is True and data["tenant"] == tenant.slug
    assert {job["status"] for job in data["jobs"]} == {"FAILED"}
    assert len(data["jobs"]) > 10  # every matching job, not one page


def test_export_cut_short_by_upstream_says_so(login, tenant, simulator, settings):
    settings.DRS_DEADLINE = 2
    client = login("viewer")
    simulator.set_fault("http_503", target="*", count=None)
    response = client.get(f"/tenants/{tenant.slug}/jobs/", {"format": "json"})
    data = json.loads(b"".join(response.streaming_content))
    assert data["complete"] is False and "unavailable" in data["problem"].lower()
