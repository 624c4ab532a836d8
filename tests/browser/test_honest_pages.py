"""Pages that say what they know: an incomplete answer from DRS, filters restored from last
time, no export links for nothing, and a "job unavailable" page that retries by itself."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect


@pytest.fixture
def viewer(page, signed_in_page, live_server, tenant, sync, settings) -> Page:
    settings.JOB_REFRESH_SECONDS = 1  # the live server runs in this process
    sync(tenant)
    page.context.add_cookies([{"name": "tz", "value": "Asia/Shanghai", "url": live_server.url}])
    return signed_in_page("viewer")


def test_an_incomplete_answer_is_said_and_polled_only_a_few_times(
    viewer, live_server, tenant, simulator
):
    page = viewer
    job_id = simulator.store.find("demo-fault-broken")["id"]
    simulator.set_fault("missing_fields", target=job_id)  # no status, no name, no base_info
    polls = []
    page.on("request", lambda r: polls.append(r.url) if r.headers.get("hx-request") else None)
    page.goto(f"{live_server.url}/tenants/{tenant.slug}/jobs/{job_id}/")

    banner = page.locator("#incomplete-banner")
    expect(banner).to_contain_text("DRS answered incompletely")
    expect(banner).to_contain_text("status, name")
    expect(page.locator("#job-live h1")).to_have_text(job_id)  # what is known: the id
    expect(page.locator("#job-live .title-row .badge")).to_have_text(re.compile("status not given"))
    finished = page.locator("#job-live dt", has_text=re.compile("^Finished$"))
    expect(finished.locator("xpath=following-sibling::dd[1]")).to_have_text("not given by DRS")
    expect(page.locator("body")).not_to_contain_text("still running")
    # A few more tries (a transient answer may heal), then it stops asking by itself.
    expect(banner).to_contain_text("Asking DRS 2 more times")
    live = page.locator("#job-live")
    expect(live).not_to_have_attribute("data-poll-seconds", re.compile(".*"), timeout=15_000)
    expect(banner).to_contain_text("does not refresh itself while the status is unknown")
    assert len(polls) == 2, polls  # the page, then two polls: three answers in all
    page.wait_for_timeout(3000)  # three refresh intervals: nothing more may poll
    assert len(polls) == 2, polls
    # Refresh now asks again on request.
    with page.expect_response(lambda r: "refresh=1" in r.url) as answer:
        page.get_by_role("button", name="Refresh now").click()
    assert answer.value.ok
    expect(banner).to_be_visible()


def test_a_restored_filter_says_so_and_show_all_clears_it(viewer, live_server, tenant):
    page = viewer
    page.goto(f"{live_server.url}/tenants/{tenant.slug}/jobs/")
    expect(page.locator("#restored-filter")).to_have_count(0)
    page.locator("#id_status").select_option("FAILED")
    expect(page).to_have_url(re.compile(r"status=FAILED"))

    page.goto(f"{live_server.url}/")
    page.goto(f"{live_server.url}/tenants/{tenant.slug}/jobs/")  # restored from last time
    expect(page).to_have_url(re.compile(r"status=FAILED"))
    restored = page.locator("#restored-filter")
    expect(restored).to_have_text("Showing your last filter: FAILED · show all")
    page.reload()  # said once, when it happened: an explicit address is not "restored"
    expect(restored).to_have_count(0)

    page.goto(f"{live_server.url}/tenants/{tenant.slug}/jobs/")
    restored.get_by_role("link", name="show all").click()
    expect(page).to_have_url(f"{live_server.url}/tenants/{tenant.slug}/jobs/")
    expect(restored).to_have_count(0)
    expect(page.locator("#id_status")).to_have_value("")


def test_export_links_only_when_something_matches(viewer, live_server, tenant):
    page = viewer
    page.goto(f"{live_server.url}/tenants/{tenant.slug}/jobs/?name=no-such-job-anywhere")
    expect(page.locator("#job-table")).to_contain_text("No jobs match these filters.")
    expect(page.get_by_role("link", name="Export CSV")).to_have_count(0)
    page.goto(f"{live_server.url}/tenants/{tenant.slug}/jobs/?status=FAILED")
    expect(page.get_by_role("link", name="Export CSV")).to_have_count(1)
    page.goto(f"{live_server.url}/failures/?days=1&tenant=no-such-tenant")
    expect(page.locator("#failure-groups")).to_contain_text("No failed jobs in this period.")
    expect(page.get_by_role("link", name="Export JSON")).to_have_count(0)


def test_job_unavailable_retries_by_itself(viewer, live_server, tenant, simulator):
    page = viewer
    job_id = simulator.add_live_job(600, outcome="SUCCESS", name="comes-back-later")
    simulator.set_fault("http_503", target=job_id)
    response = page.goto(f"{live_server.url}/tenants/{tenant.slug}/jobs/{job_id}/")
    assert response.status == 503
    retry = page.locator("#auto-retry")
    expect(retry).to_contain_text(re.compile(r"Retrying automatically in \d+ s\."))
    simulator.clear_faults()
    expect(page.locator("#job-live h1")).to_have_text("comes-back-later", timeout=15_000)
    expect(page.locator("#auto-retry")).to_have_count(0)


def test_job_not_found_does_not_retry(viewer, live_server, tenant):
    page = viewer
    response = page.goto(
        f"{live_server.url}/tenants/{tenant.slug}/jobs/0667845a-0000-0000-0000-000000000000/"
    )
    assert response.status == 404
    expect(page.locator("article.failure-page")).to_be_visible()
    expect(page.locator("#auto-retry")).to_have_count(0)
