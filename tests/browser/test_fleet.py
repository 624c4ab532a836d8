"""The fleet views in a real browser: a tenant's job list (htmx filters and history, remembered
filters, paging, exports, rows that refresh themselves), the overview across tenants, and failed
jobs grouped by cause.

The fleet pages read the job mirror, not DRS: each test syncs its tenants first (`sync`, real
HTTP to the simulator), and a change in DRS reaches an open page only through a sync and the
page's own htmx refresh."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit
from uuid import uuid4

import pytest
from django.utils import timezone
from playwright.sync_api import Download, Page, Response, expect

from jobs.fleet import selectors
from jobs.mirror.models import TenantSyncState
from tests.browser.conftest import wait_until

BADGES = "#job-table tbody .badge"


@pytest.fixture
def synced(tenant, sync):
    """`tenant` with its jobs in the mirror, as the background sync keeps them."""
    sync(tenant)
    return tenant


@pytest.fixture
def viewer(page, signed_in_page, live_server, synced) -> Page:
    """A viewer of the synced `tenant`, signed in, with the `tz` cookie set (app.js reloads once
    otherwise)."""
    page.context.add_cookies([{"name": "tz", "value": "Asia/Shanghai", "url": live_server.url}])
    return signed_in_page("viewer")


def list_url(live_server, tenant, query: str = "") -> str:
    return f"{live_server.url}/tenants/{tenant.slug}/jobs/{query}"


def query_of(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def statuses(page: Page) -> list[str]:
    return page.locator(BADGES).evaluate_all("els => els.map(e => e.dataset.status)")


def badge_texts(page: Page) -> list[str]:
    return page.locator(BADGES).evaluate_all("els => els.map(e => e.textContent.trim())")


def table_rows(page: Page) -> list[tuple[str, str]]:
    """(job id, name as shown) for each row, in order; the id comes from the row's link."""
    links = page.locator("#job-table tbody tr td:first-child a").evaluate_all(
        "els => els.map(a => [a.getAttribute('href'), a.textContent.trim()])"
    )
    return [(href.rstrip("/").rsplit("/", 1)[1], name) for href, name in links]


def expect_only(page: Page, status: str) -> None:
    """Every row's badge is `status` (waits for the swap), and there is at least one row."""
    expect(page.locator(f"{BADGES}:not([data-status='{status}'])")).to_have_count(0)
    expect(page.locator(BADGES).first).to_be_visible()
    texts = badge_texts(page)
    assert texts and all(t.endswith(f" {status}") for t in texts), texts
    assert set(statuses(page)) == {status}


def read_download(download: Download) -> str:
    with open(download.path(), encoding="utf-8") as handle:
        return handle.read()


def finish(simulator, job_id: str) -> str:
    """Waits until the simulator's live job has ended; its final status."""
    wait_until(lambda: simulator.store.get(job_id)["status"] != "TRANSFERRING", what=job_id)
    return simulator.store.get(job_id)["status"]


def is_poll(path: str):
    """A predicate for `expect_response`: an htmx refresh of the page at `path`."""

    def check(response: Response) -> bool:
        request = response.request
        return urlsplit(response.url).path == path and request.headers.get("hx-request") == "true"

    return check


# -- 1. filters through htmx, and the back button ------------------------------------------------


def test_filtering_by_status_pushes_the_url_and_back_restores_it(viewer, live_server, tenant):
    page = viewer
    page.goto(list_url(live_server, tenant))
    expect(page.locator(BADGES).first).to_be_visible()
    assert len(set(statuses(page))) > 1  # unfiltered: the filter below has something to do
    page.evaluate("window.__marker = 1")

    page.locator("#id_status").select_option("FAILED")
    expect(page).to_have_url(re.compile(r"[?&]status=FAILED(&|$)"))
    expect_only(page, "FAILED")
    failed = table_rows(page)
    assert page.evaluate("window.__marker") == 1, "the filter reloaded the page"

    page.locator("#id_status").select_option("SUCCESS")
    expect(page).to_have_url(re.compile(r"[?&]status=SUCCESS(&|$)"))
    expect_only(page, "SUCCESS")

    page.go_back()
    expect(page).to_have_url(re.compile(r"[?&]status=FAILED(&|$)"))
    expect_only(page, "FAILED")
    assert table_rows(page) == failed
    assert page.evaluate("window.__marker") == 1, "going back reloaded the page"


def test_back_restores_the_filter_controls_with_the_table(viewer, live_server, tenant):
    page = viewer
    page.goto(list_url(live_server, tenant))
    page.locator("#id_status").select_option("FAILED")
    expect_only(page, "FAILED")
    page.locator("#id_status").select_option("SUCCESS")
    expect_only(page, "SUCCESS")

    page.go_back()
    expect_only(page, "FAILED")
    assert page.locator("#id_status").input_value() == "FAILED"


# -- 2. remembered filters -----------------------------------------------------------------------


def test_filters_are_remembered_until_reset(viewer, live_server, tenant):
    page = viewer
    page.goto(list_url(live_server, tenant))
    assert page.url == list_url(live_server, tenant)  # nothing remembered yet
    page.locator("#id_status").select_option("FAILED")
    expect(page).to_have_url(re.compile(r"status=FAILED"))
    expect_only(page, "FAILED")

    response = page.goto(list_url(live_server, tenant))
    assert response is not None and response.request.redirected_from is not None
    assert query_of(page)["status"] == ["FAILED"], page.url
    expect(page.locator("#id_status")).to_have_value("FAILED")
    expect_only(page, "FAILED")

    with page.expect_navigation():
        page.get_by_role("link", name="Reset filters").click()
    assert page.url == list_url(live_server, tenant)
    expect(page.locator("#id_status")).to_have_value("")
    expect(page.locator(BADGES).first).to_be_visible()
    assert len(set(statuses(page))) > 1

    page.goto(list_url(live_server, tenant))
    assert page.url == list_url(live_server, tenant), "the reset filters came back"


# -- 3. paging -----------------------------------------------------------------------------------


def test_older_and_newer_move_between_pages(viewer, live_server, tenant):
    page = viewer
    page.goto(list_url(live_server, tenant, "?status=SUCCESS&size=10"))
    summary = page.locator("#job-table > p.muted")
    expect(summary).to_contain_text("page 1 of")
    first = table_rows(page)
    assert len(first) == 10
    page.evaluate("window.__marker = 1")

    page.get_by_role("link", name="Older →").click()
    expect(page).to_have_url(re.compile(r"[?&]page=2(&|$)"))
    expect(summary).to_contain_text("page 2 of")
    second = table_rows(page)
    assert len(second) == 10
    assert not set(first) & set(second), "page 2 repeats rows of page 1"
    assert query_of(page)["status"] == ["SUCCESS"] and query_of(page)["size"] == ["10"]
    expect_only(page, "SUCCESS")

    page.get_by_role("link", name="← Newer").click()  # page 1 is the address without page=
    expect(page).to_have_url(list_url(live_server, tenant, "?status=SUCCESS&size=10"))
    expect(summary).to_contain_text("page 1 of")
    assert table_rows(page) == first
    assert page.evaluate("window.__marker") == 1

    # Page numbers: the current one marked, each a link; no `?&page=` in any address.
    pager = page.get_by_role("navigation", name="Pages")
    expect(pager.locator("a[aria-current=page]")).to_have_text("1")
    pager.get_by_role("link", name="Page 3").click()
    expect(page).to_have_url(list_url(live_server, tenant, "?status=SUCCESS&size=10&page=3"))
    expect(summary).to_contain_text("page 3 of")
    expect(pager.locator("a[aria-current=page]")).to_have_text("3")
    page.goto(list_url(live_server, tenant, "?page=2"))
    hrefs = page.locator("#job-table [href], #job-table [hx-get]").evaluate_all(
        "els => els.map(e => e.getAttribute('href') || e.getAttribute('hx-get'))"
    )
    hrefs.append(page.locator("#job-table").get_attribute("hx-get"))
    assert not [h for h in hrefs if "?&" in h or h.endswith("?")], hrefs


# -- 4. exports ----------------------------------------------------------------------------------


def test_exports_match_the_table(viewer, live_server, tenant):
    page = viewer
    page.goto(list_url(live_server, tenant, "?name=restore&size=100"))
    expect(page.locator("#job-table > p.muted")).to_contain_text("page 1 of 1")
    shown = table_rows(page)
    assert len(shown) > 10 and all("restore" in name.lower() for _, name in shown)

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Export CSV").click()
    assert csv_download.value.suggested_filename.endswith(".csv")
    text = read_download(csv_download.value)
    assert text.startswith("\ufeff")
    records = list(csv.DictReader(io.StringIO(text[1:])))
    assert [(r["id"], r["name"]) for r in records] == shown
    assert "duration_seconds" in records[0]

    with page.expect_download() as json_download:
        page.get_by_role("link", name="Export JSON").click()
    assert json_download.value.suggested_filename.endswith(".json")
    data = json.loads(read_download(json_download.value))
    assert data["complete"] is True
    assert data["tenant"] == tenant.slug
    assert [(j["id"], j["name"]) for j in data["jobs"]] == shown


def test_exports_follow_filters_applied_in_place(viewer, live_server, tenant):
    page = viewer
    page.goto(list_url(live_server, tenant))
    page.locator("#id_name").fill("restore")
    page.locator("#id_size").select_option("100")  # `change from:select` submits the form
    expect(page).to_have_url(re.compile(r"name=restore"))
    expect(page.locator("#job-table > p.muted")).to_contain_text("page 1 of 1")
    shown = table_rows(page)

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Export CSV").click()
    records = list(csv.DictReader(io.StringIO(read_download(csv_download.value)[1:])))
    assert [(r["id"], r["name"]) for r in records] == shown


# -- 5. the overview -----------------------------------------------------------------------------

RUNNING = re.compile(r"^Running$")


def total(page: Page, term: str | re.Pattern) -> int:
    """A number from the totals on top of the overview."""
    dd = page.locator("#fleet dl.counts dt").filter(has_text=term).locator("xpath=../dd")
    expect(dd).to_have_text(re.compile(r"^\d+$"))
    return int(dd.text_content())


def test_one_unreachable_tenant_never_breaks_the_overview(
    viewer, live_server, tenant, make_tenant, people, sync
):
    page = viewer
    broken = make_tenant(
        "Broken", drs_endpoint="http://127.0.0.1:9", iam_endpoint="http://127.0.0.1:9"
    )
    people["viewer"].memberships.create(tenant=broken, role="viewer")
    sync(broken, ok=False)  # its sync state records why and since when

    response = page.goto(f"{live_server.url}/")
    assert response is not None and response.status == 200

    table = page.locator("#tenant-table")
    good = table.locator(f"#tenant-{tenant.slug}")
    expect(good.get_by_role("rowheader")).to_contain_text(tenant.name)
    expect(good.get_by_role("alert")).to_have_count(0)
    expect(good.locator("td").last).to_contain_text(re.compile(r"synced \d+ s ago"))
    expect(good.locator("a[href*='status=TRANSFERRING']")).to_have_text(re.compile(r"^\d+$"))
    expect(good.locator("a[href*='/failures/']")).to_have_text(re.compile(r"^\d+$"))
    assert total(page, "All jobs") > 100
    assert total(page, "Tenants") == 2
    expect(page.locator("#fleet figure.chart svg")).to_be_visible()
    assert page.locator("#fleet figure.chart svg rect").count() > 0

    bad = table.locator(f"#tenant-{broken.slug}")
    expect(bad.get_by_role("rowheader")).to_contain_text("Broken")
    expect(bad.locator("td").last).to_have_text("not synced yet")
    banner = page.locator("#fleet").get_by_role("alert")
    expect(banner).to_have_count(1)  # only the failing tenant
    expect(banner).to_contain_text("Sync of Broken is failing since")
    expect(banner.locator("time")).to_have_count(1)  # since when
    expect(banner).to_contain_text("Showing the last synced data.")
    reason = TenantSyncState.objects.get(tenant=broken).error
    assert reason and reason in banner.text_content()  # why
    assert page.problems == []


def test_the_overview_follows_a_finished_job_without_a_reload(
    viewer, live_server, tenant, simulator, sync, fast_refresh
):
    """Issue 12: a job finishes in DRS, the background sync sees it, the open overview's
    running count and rows change in place."""
    page = viewer
    job_id = simulator.add_live_job(5, "SUCCESS", name=f"overview-live-{uuid4().hex[:8]}")
    sync(tenant)
    page.goto(f"{live_server.url}/")
    fleet = page.locator("#fleet")
    expect(fleet).to_have_attribute("data-poll-seconds", str(fast_refresh))
    job = fleet.locator(f"#running-now a[href$='/{job_id}/']")
    expect(job).to_have_count(1)  # among the jobs running now
    ended = fleet.locator(f"#finished-recently a[href$='/{job_id}/']")
    expect(ended).to_have_count(0)
    row = page.locator(f"#tenant-{tenant.slug}")
    running = row.locator("a[href*='status=TRANSFERRING']")
    before = int(running.text_content())
    assert before >= 1 and total(page, RUNNING) == before
    page.evaluate("window.__marker = 1")

    assert finish(simulator, job_id) == "SUCCESS"
    sync(tenant)
    (now,) = selectors.overview([tenant])
    assert now.running < before

    expect(job).to_have_count(0, timeout=15_000)
    expect(ended).to_have_count(1)  # it moved beside: finished in the last hour
    expect(running).to_have_text(str(now.running))
    assert total(page, RUNNING) == now.running
    expect(fleet).to_have_attribute("data-poll-seconds", str(fast_refresh))  # still refreshing
    assert page.evaluate("window.__marker") == 1, "the page reloaded"
    assert page.problems == []


# -- 6. failures by cause ------------------------------------------------------------------------

TOTAL = re.compile(r"(\d+) failed jobs? · (\d+) causes?")
MSG_3201 = "Msg 3201: Cannot open backup device '*'. Operating system error 2."


def test_failures_are_grouped_by_cause_filtered_by_tenant_and_exported(
    viewer, live_server, tenant, make_tenant, people, sync
):
    page = viewer
    second = make_tenant("Acme keys", auth="aksk")  # the same simulator: the same failures
    people["viewer"].memberships.create(tenant=second, role="viewer")
    sync(second)

    page.goto(f"{live_server.url}/failures/")
    summary = page.locator("main p.muted").filter(has_text=TOTAL)
    expect(summary).to_be_visible()
    both = int(TOTAL.search(summary.text_content()).group(1))
    group = page.locator("details.failure-group").filter(
        has=page.locator(".cause-meta code", has_text=re.compile(f"^{re.escape(MSG_3201)}$"))
    )
    expect(group).to_have_count(1)
    expect(group.locator("summary h2 > span").first).to_have_text(
        "The backup file could not be opened: it was not found"
    )
    expect(group.locator("tbody td:first-child").filter(has_text="Acme keys")).not_to_have_count(0)

    page.locator("#triage-tenant").fill(tenant.slug)
    with page.expect_navigation():
        page.get_by_role("button", name="Apply").click()
    assert query_of(page)["tenant"] == [tenant.slug] and query_of(page)["days"] == ["30"]
    expect(page.locator("#triage-tenant")).to_have_value(tenant.slug)
    one = int(TOTAL.search(summary.text_content()).group(1))
    assert one > 0 and one * 2 == both
    expect(group).to_have_count(1)
    tenants = set(page.locator("details.failure-group tbody td:first-child").all_text_contents())
    assert tenants == {tenant.name}

    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    text = read_download(download.value)
    assert text.startswith("\ufeff")
    records = list(csv.DictReader(io.StringIO(text[1:])))
    assert list(records[0])[:3] == ["signature", "tenant", "id"]
    assert len(records) == one
    assert {r["tenant"] for r in records} == {tenant.slug}
    assert MSG_3201 in {r["signature"] for r in records}


def test_a_new_failure_joins_the_open_failures_page_in_place(
    viewer, live_server, tenant, simulator, sync, fast_refresh
):
    page = viewer
    log = (
        "Msg 3201, Level 16, State 2, Line 1\n"
        "Cannot open backup device 'D:\\restore\\new.bak'. Operating system error 2."
    )
    job_id = simulator.add_live_job(2, "FAILED", name=f"failing-{uuid4().hex[:8]}", error_log=log)
    page.goto(f"{live_server.url}/failures/")
    groups = page.locator("#failure-groups")
    expect(groups).to_have_attribute("data-poll-seconds", str(fast_refresh))
    summary = groups.locator("p.muted").filter(has_text=TOTAL)
    before = int(TOTAL.search(summary.text_content()).group(1))
    expect(groups.locator(f"a[href$='/{job_id}/']")).to_have_count(0)
    page.evaluate("window.__marker = 1")

    assert finish(simulator, job_id) == "FAILED"
    sync(tenant)
    group = groups.locator("details.failure-group").filter(
        has=page.locator(".cause-meta code", has_text=re.compile(f"^{re.escape(MSG_3201)}$"))
    )
    expect(group.locator(f"a[href$='/{job_id}/']")).to_have_count(1, timeout=15_000)
    since = timezone.now() - timedelta(days=30)
    now = sum(g.count for g in selectors.failures([tenant], since, "(no error log)"))
    assert now > before  # ours, and any seeded live job that failed meanwhile
    expect(summary).to_contain_text(f"{now} failed jobs")
    with page.expect_response(is_poll("/failures/")):  # and it goes on refreshing
        pass
    expect(groups).to_have_count(1)
    assert page.evaluate("window.__marker") == 1, "the page reloaded"


# -- defaults that the selects do not show -----------------------------------------------------


def test_the_page_size_select_shows_the_size_in_force(viewer, live_server, tenant):
    page = viewer
    page.goto(list_url(live_server, tenant))
    expect(page.locator("#job-table tbody tr")).to_have_count(25)
    page.locator("#id_status").select_option("SUCCESS")
    expect_only(page, "SUCCESS")
    assert query_of(page).get("size") == ["25"], page.url
    expect(page.locator("#job-table tbody tr")).to_have_count(25)


def test_the_failures_period_select_shows_the_period_in_force(viewer, live_server, tenant):
    page = viewer
    page.goto(f"{live_server.url}/failures/")
    assert page.locator("#id_days").input_value() == "30"
    with page.expect_navigation():
        page.get_by_role("button", name="Apply").click()
    assert query_of(page)["days"] == ["30"], page.url


# -- 7. a running job refreshes its row ----------------------------------------------------------


def test_a_running_row_turns_success_in_place_after_a_sync(
    viewer, live_server, tenant, simulator, simulator_config, sync, fast_refresh
):
    page = viewer
    name = f"fleet-live-{uuid4().hex[:8]}"
    job_id = simulator.add_live_job(5, "SUCCESS", name=name)
    sync(tenant)
    page.goto(list_url(live_server, tenant, f"?name={name}"))
    table = page.locator("#job-table")
    expect(table.locator("tbody tr")).to_have_count(1)
    row = table.locator("tbody tr").filter(has=page.locator(f"a[href$='/{job_id}/']"))
    expect(row.locator(".badge")).to_have_text(re.compile("TRANSFERRING"))
    expect(table).to_have_attribute("data-poll-seconds", str(fast_refresh))
    page.evaluate("window.__marker = 1")

    # Finished in DRS, not yet synced: the page refreshes from the mirror, without asking DRS.
    assert finish(simulator, job_id) == "SUCCESS"
    path = f"/v5/{simulator_config.project_id}/backup-migration-jobs"
    calls = simulator.calls(path)
    poll = is_poll(f"/tenants/{tenant.slug}/jobs/")
    with page.expect_response(poll):
        pass
    expect(row.locator(".badge")).to_have_text(re.compile("TRANSFERRING"))
    assert simulator.calls(path) == calls, "a refresh of the list called DRS"

    sync(tenant)
    expect(row.locator(".badge")).to_have_text(re.compile("SUCCESS"), timeout=15_000)
    assert page.evaluate("window.__marker") == 1, "the page reloaded"
    calls = simulator.calls(path)
    with page.expect_response(poll):  # lists keep refreshing, from the mirror alone
        pass
    expect(row.locator(".badge")).to_have_text(re.compile("SUCCESS"))
    assert simulator.calls(path) == calls, "a refresh of the list called DRS"
    assert page.evaluate("window.__marker") == 1
