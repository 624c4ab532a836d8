"""Issue 19, item 2, in a real browser: the overview's tenant table pages and searches in place,
its refresh keeps what it shows when the server answers 204 "unchanged" (and takes the new
render once something changed), and the top bar's tenant picker searches as one types; axe-core
finds nothing serious on what changed."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from jobs.mirror.models import MirroredJob, TenantSyncState
from jobs.tenants.access import PICKER_MAX
from tests.browser.pages import axe_violations
from tests.fleet.test_fleet_scale import add_tenants

ROW = "#tenant-table tbody tr[id^='tenant-']"


@pytest.fixture
def fleet_viewer(page, signed_in_page, live_server, people) -> Page:
    """A viewer of Acme and 60 more tenants, signed in, with the `tz` cookie set."""
    add_tenants(people["viewer"], 60)
    page.context.add_cookies([{"name": "tz", "value": "Asia/Shanghai", "url": live_server.url}])
    return signed_in_page("viewer")


def test_the_overview_pages_and_searches_in_place(fleet_viewer, live_server):
    page = fleet_viewer
    expect(page.locator(ROW)).to_have_count(50)
    expect(
        page.locator("#fleet dl.counts dt", has_text="Tenants").locator("xpath=../dd")
    ).to_have_text("61")
    assert axe_violations(page) == []
    page.evaluate("window.__marker = 1")

    page.locator("#tenant-pages a[rel=next]").click()
    expect(page).to_have_url(re.compile(r"[?&]page=2"))
    expect(page.locator(ROW)).to_have_count(11)
    expect(page.locator("#tenant-fleet-059")).to_have_count(1)

    page.locator("#tenant-q").fill("fleet 04")  # as one types: no button, no reload
    expect(page.locator(ROW)).to_have_count(10)
    expect(page).to_have_url(re.compile(r"[?&]q=fleet(%20|\+)04"))
    expect(page.locator("#tenant-count")).to_have_text("10 tenants match “fleet 04”")
    assert page.evaluate("window.__marker") == 1, "the page reloaded"

    with page.expect_navigation():
        page.locator("#tenant-table thead a", has_text="Tenant").click()  # the sort keeps it
    expect(page).to_have_url(re.compile(r"q=fleet%2004&sort=name&dir=desc"))
    ids = page.locator(ROW).evaluate_all("rows => rows.map(r => r.id)")
    assert ids == [f"tenant-fleet-04{n}" for n in range(9, -1, -1)]
    assert axe_violations(page) == []
    assert page.problems == []


def test_an_unchanged_refresh_keeps_the_page_and_a_change_comes_in(
    fast_refresh, fleet_viewer, live_server
):
    page = fleet_viewer
    page.goto(f"{live_server.url}/")
    answers: list[int] = []
    page.on(
        "response",
        lambda r: answers.append(r.status) if re.search(r"[?&]u=[0-9a-f]+", r.url) else None,
    )
    fleet = page.locator("#fleet")
    expect(fleet).to_have_attribute("data-poll-seconds", str(fast_refresh))
    running = page.locator("#tenant-fleet-000 a[href*='status=TRANSFERRING']")
    expect(running).to_have_text("1")
    page.wait_for_timeout(3500)  # three polls or so
    assert answers.count(204) >= 2, answers  # polled, unchanged, and polled again
    expect(page.locator(ROW)).to_have_count(50)  # what it showed stays

    job = MirroredJob.objects.get(tenant__slug="fleet-000", status="TRANSFERRING")
    MirroredJob.objects.filter(pk=job.pk).update(status="SUCCESS", finish_time=timezone.now())
    TenantSyncState.objects.filter(tenant__slug="fleet-000").update(changed_at=timezone.now())
    expect(running).to_have_text("0", timeout=8000)
    assert 200 in answers
    expect(fleet).to_have_attribute("data-poll-seconds", str(fast_refresh))  # still refreshing
    assert page.problems == []


def test_the_tenant_picker_searches_as_one_types(fleet_viewer, live_server, simulator):
    page = fleet_viewer
    picker = page.locator("#lookup-tenant-top")
    expect(picker).to_have_attribute("placeholder", "All my tenants")
    options = page.locator("#lookup-tenant-top-options option")
    expect(options).to_have_count(PICKER_MAX)  # never every tenant on every page
    picker.fill("fleet 05")
    expect(options).to_have_count(10)
    values = options.evaluate_all("os => os.map(o => o.value)")
    assert values == [f"fleet-05{n}" for n in range(10)]
    assert axe_violations(page) == []

    picker.fill("acm")  # a tenant of the simulator's: its job page may ask DRS
    expect(options).to_have_count(1)
    expect(options).to_have_attribute("value", "acme")
    picker.fill("acme")
    job_id = simulator.store.ids()[0]
    page.locator("#lookup-q-top").fill(job_id)
    with page.expect_navigation():
        page.locator("#lookup-q-top").press("Enter")
    assert page.url == f"{live_server.url}/tenants/acme/jobs/{job_id}/"


def test_without_javascript_the_picker_leads_to_a_tenant_search_page(browser, live_server, people):
    add_tenants(people["viewer"], 3)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", "viewer")
        page.fill("input[name=password]", "correct-horse-battery-staple")
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        page.fill("#lookup-tenant-top", "fleet")
        page.fill("#lookup-q-top", "0667845a-6291-4e2a-95b0-190c0abjb703")
        with page.expect_navigation():
            page.locator("#lookup-q-top").press("Enter")
        expect(page.locator("h1")).to_have_text("Find a tenant")
        links = page.locator("#tenant-matches a")
        expect(links).to_have_count(3)
        expect(links.first).to_have_attribute(
            "href", "/jobs/lookup/?tenant=fleet-000&q=0667845a-6291-4e2a-95b0-190c0abjb703"
        )
    finally:
        context.close()
