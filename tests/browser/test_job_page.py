"""The job page in a real browser: lookup, sections, live polling, failures, hostile content."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.support import EXAMPLE_ID, MISSING_ID


@pytest.fixture
def fast_refresh(settings):
    """Polls every second (the live server runs in this process, so the override applies)."""
    settings.JOB_REFRESH_SECONDS = 1


@pytest.fixture
def viewer(page, signed_in_page, live_server, tenant, fast_refresh) -> Page:
    """A viewer of `tenant`, signed in, whose browser time zone cookie is already set.

    app.js reloads a page once when it first sets the `tz` cookie; setting it up front keeps
    that reload from racing the tests (and from clearing `window` markers).
    """
    page.context.add_cookies([{"name": "tz", "value": "Asia/Shanghai", "url": live_server.url}])
    return signed_in_page("viewer")


def job_url(live_server, tenant, job_id: str) -> str:
    return f"{live_server.url}/tenants/{tenant.slug}/jobs/{job_id}/"


def detail_path(simulator_config, job_id: str) -> str:
    return f"/v5/{simulator_config.project_id}/backup-migration-jobs/{job_id}"


def seed_id(simulator, name: str) -> str:
    job = simulator.store.find(name)
    assert job is not None, f"the simulator has no job named {name!r}"
    return job["id"]


def badge(page: Page):
    return page.locator("#job-live .title-row .badge")


def fact(page: Page, scope: str, term: str):
    """The <dd> after the <dt> whose text is `term`, inside `scope`."""
    return (
        page.locator(f"{scope} dt")
        .filter(has_text=re.compile(f"^{re.escape(term)}$"))
        .locator("xpath=following-sibling::dd[1]")
    )


# -- 1. lookup and the full page -----------------------------------------------------------------


def test_lookup_from_the_tenant_page_lands_on_the_permalink_with_every_section(
    viewer, live_server, tenant, simulator
):
    page = viewer
    page.goto(f"{live_server.url}/tenants/{tenant.slug}/")
    page.fill("#lookup-q-tenant", f"see https://console.example/drs?jobId={EXAMPLE_ID} thanks")
    with page.expect_navigation():
        page.locator("#lookup-q-tenant").press("Enter")
    expect(page).to_have_url(job_url(live_server, tenant, EXAMPLE_ID))

    expect(page.get_by_role("heading", level=1, name="DRS-6813")).to_be_visible()
    expect(badge(page)).to_have_text(re.compile(r"SUCCESS"))
    expect(page.locator("#job-id")).to_have_text(EXAMPLE_ID)

    files = page.locator("#files")
    expect(files.get_by_role("heading", name="Backup files")).to_be_visible()
    expect(files.locator("tbody tr")).to_have_count(1)
    row = files.locator("tbody tr").first
    expect(row).to_contain_text("1706510914000_1_Test_Database.bak")
    expect(row).to_contain_text("704 KB")  # the form of the total; DRS's text on hover
    expect(row.locator("[title='DRS says 704KB']")).to_have_count(1)
    expect(files).to_contain_text("zyy-obs")

    expect(page.locator("#target")).to_be_visible()
    expect(fact(page, "#target", "Instance id")).to_have_text(
        "0a3182607bc549bcb46cc9a8755761a6in04"
    )
    expect(page.locator("#options")).to_be_visible()
    expect(fact(page, "#options", "Overwrites the existing database")).to_have_text("yes")
    expect(fact(page, "#options", "Recovery mode")).to_have_text("Full migration")
    expect(page.locator("#basic")).to_be_visible()
    expect(fact(page, "#basic", "Description")).to_contain_text("rds-sqlserver2022-stand")
    expect(page.locator("#error-log-section")).to_have_count(0)  # a success has no error log

    raw = page.locator("#raw-json")
    expect(raw).to_be_hidden()
    page.locator("#raw summary").click()
    expect(raw).to_be_visible()
    assert json.loads(raw.text_content())["backup_info"]["bucket_name"] == "zyy-obs"

    history = page.locator("#job-history")
    expect(history.get_by_role("heading", name="Status history")).to_be_visible()
    expect(history.locator("li")).to_have_count(1)
    expect(history.locator("li").first).to_contain_text("SUCCESS")

    # "Refresh now" asks DRS again in place (a finished job is otherwise served from its
    # snapshot) and does not start polling.
    page.evaluate("window.__marker = 1")
    before = simulator.calls()
    with page.expect_response(re.compile(r"refresh=1")) as refreshed:
        page.get_by_role("button", name="Refresh now").click()
    assert refreshed.value.status == 286
    expect(badge(page)).to_have_text(re.compile("SUCCESS"))
    expect(page.locator("#files tbody tr")).to_have_count(1)
    assert simulator.calls() > before
    assert page.evaluate("window.__marker") == 1
    expect(page.locator("#job-live")).not_to_have_attribute("data-poll-seconds", re.compile(".*"))

    # A text without a job id: an inline message, and DRS is not asked.
    page.goto(f"{live_server.url}/tenants/{tenant.slug}/")
    before = simulator.calls()
    page.fill("#lookup-q-tenant", "the restore from yesterday failed, please check")
    with page.expect_navigation():
        page.locator("#lookup-q-tenant").press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("No job id found in that text")
    expect(page.locator("#lookup-q-page")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#lookup-q-page")).to_have_value(
        "the restore from yesterday failed, please check"
    )
    assert simulator.calls() == before
    # The lookup answers 400 on purpose; Chromium logs that, and nothing else may appear.
    assert [p for p in page.problems if "status of 400" not in p] == []


# -- 2. live updates -----------------------------------------------------------------------------


def test_a_running_job_turns_success_without_a_reload_and_stops_polling(
    viewer, live_server, tenant, simulator, simulator_config
):
    page = viewer
    job_id = simulator.add_live_job(6, outcome="SUCCESS")
    page.goto(job_url(live_server, tenant, job_id))
    expect(badge(page)).to_have_text(re.compile("TRANSFERRING"))
    expect(fact(page, "#job-live", "Finished")).to_have_text("still running")
    expect(page.locator("#job-live")).to_have_attribute("data-poll-seconds", "1")
    page.evaluate("window.__marker = 1")

    expect(badge(page)).to_have_text(re.compile("SUCCESS"), timeout=15_000)
    assert page.evaluate("window.__marker") == 1  # no page load happened
    expect(fact(page, "#job-live", "Finished").locator("time")).to_be_visible()
    expect(page.locator("#job-live")).not_to_have_attribute("data-poll-seconds", re.compile(".*"))
    # The sections came out-of-band with the change: the history now has both statuses.
    expect(page.locator("#job-history li")).to_have_count(2)
    expect(page.locator("#job-history li").last).to_contain_text("SUCCESS")

    path = detail_path(simulator_config, job_id)
    calls = simulator.calls(path)
    page.wait_for_timeout(3_000)  # three poll intervals
    assert simulator.calls(path) == calls, "the page kept polling a finished job"
    assert page.evaluate("window.__marker") == 1


def test_a_running_job_that_fails_shows_its_error_log_without_a_reload(
    viewer, live_server, tenant, simulator
):
    page = viewer
    job_id = simulator.add_live_job(6, outcome="FAILED")
    error_log = simulator.store.job(job_id).lifecycle.error_log
    assert error_log  # the simulator gives failed live jobs a real SQL Server error
    page.goto(job_url(live_server, tenant, job_id))
    expect(badge(page)).to_have_text(re.compile("TRANSFERRING"))
    expect(page.locator("#error-log-section")).to_have_count(0)
    page.evaluate("window.__marker = 1")

    expect(badge(page)).to_have_text(re.compile("FAILED"), timeout=15_000)
    expect(page.locator("#error-log")).to_have_text(error_log.strip())
    expect(page.locator("#error-log-section h2")).to_have_text("Error log")
    assert page.evaluate("window.__marker") == 1
    expect(fact(page, "#job-live", "Error log")).to_contain_text("line")


# -- 3. a failed job -----------------------------------------------------------------------------


def test_a_failed_job_leads_with_its_error_log_and_a_hint(viewer, live_server, tenant, simulator):
    page = viewer
    job_id = seed_id(simulator, "restore-salesdb-missing")
    page.goto(job_url(live_server, tenant, job_id))
    expect(badge(page)).to_have_text(re.compile("FAILED"))

    headings = page.locator("#job-sections h2").all_text_contents()
    assert headings.index("Error log") < headings.index("Backup files"), headings
    section = page.locator("#error-log-section")
    hints = section.locator(".hint strong")
    expect(hints.first).to_have_text("The backup file could not be opened: it was not found")
    expect(section.locator("#error-log")).to_contain_text("Msg 3201")
    copy = section.locator("button.copy[data-copy='#error-log']")
    expect(copy).to_be_visible()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    copy.click()
    expect(copy).to_have_text("✔")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == section.locator("#error-log").text_content().strip()
    assert copied.startswith("Msg 3201")
    expect(copy).to_have_text("Copy", timeout=3_000)

    link = section.get_by_role("link", name="Download as text")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == f"{job_id}-error-log.txt"
    with open(download.path(), encoding="utf-8") as handle:
        text = handle.read()
    assert "Msg 3201" in text
    assert "Cannot open backup device" in text


# -- 4. hostile content --------------------------------------------------------------------------


def test_hostile_job_content_stays_inert_text(viewer, live_server, tenant, simulator):
    page = viewer
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    job_id = seed_id(simulator, "demo-escape-check")
    page.goto(job_url(live_server, tenant, job_id))
    expect(badge(page)).to_have_text(re.compile("FAILED"))

    log = page.locator("pre#error-log")
    expect(log).to_contain_text("<script>alert(1)</script>")
    expect(log).to_contain_text("{{ 7*7 }}")
    expect(log).to_contain_text("<b>not bold</b>")
    expect(log.locator("script, b")).to_have_count(0)
    expect(page.locator("#basic")).to_contain_text("<img src=x onerror=alert(2)>")
    expect(page.locator("#basic")).to_contain_text("{% now 'Y' %}")
    expect(page.locator("img[src=x]")).to_have_count(0)
    expect(page.locator("main script")).to_have_count(0)
    assert "49" not in log.text_content()

    page.locator("#raw summary").click()
    expect(page.locator("#raw-json")).to_contain_text("<script>alert(1)</script>")
    page.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert dialogs == []
    assert page.problems == []


# -- 5. not found --------------------------------------------------------------------------------


def test_an_unknown_job_is_a_404_that_names_the_tenant(viewer, live_server, tenant):
    page = viewer
    response = page.goto(job_url(live_server, tenant, MISSING_ID))
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(MISSING_ID)
    expect(page.get_by_role("alert")).to_contain_text("DRS has no job with this id")
    expect(page.locator(".failure-page")).to_contain_text(tenant.name)
    expect(page.locator(".failure-page")).to_contain_text(tenant.project_id)
    expect(page.locator(".failure-page code").filter(has_text="DRS.10000010")).to_be_visible()
    expect(page.get_by_role("link", name="Try again")).to_have_attribute(
        "href", f"/tenants/{tenant.slug}/jobs/{MISSING_ID}/"
    )


# -- 6. upstream down ----------------------------------------------------------------------------


def test_upstream_down_shows_the_stale_banner_and_keeps_the_sections(
    viewer, live_server, tenant, simulator
):
    page = viewer
    page.goto(job_url(live_server, tenant, EXAMPLE_ID))  # a terminal snapshot now exists
    expect(badge(page)).to_have_text(re.compile("SUCCESS"))

    job_id = simulator.add_live_job(600, outcome="SUCCESS")
    page.goto(job_url(live_server, tenant, job_id))
    expect(badge(page)).to_have_text(re.compile("TRANSFERRING"))
    expect(page.locator("#job-live .banner.stale")).to_have_count(0)
    page.evaluate("window.__marker = 1")

    simulator.set_fault("http_503", target=job_id)
    banner = page.locator("#job-live .banner.stale")
    expect(banner).to_contain_text("Stale since", timeout=15_000)
    expect(banner).to_contain_text("Retrying automatically.")
    expect(badge(page)).to_have_text(re.compile("TRANSFERRING"))  # the last-known status
    expect(page.locator("#job-live")).to_have_attribute("data-poll-seconds", "1")
    for section in ("#files", "#target", "#options", "#basic", "#raw", "#job-history"):
        expect(page.locator(section)).to_be_attached()
    expect(page.locator("#files tbody tr")).to_have_count(1)
    assert page.evaluate("window.__marker") == 1

    # Upstream comes back: the banner goes at the next (backed-off) poll, still no reload.
    simulator.clear_faults()
    expect(banner).to_have_count(0, timeout=15_000)
    expect(badge(page)).to_have_text(re.compile("TRANSFERRING"))
    expect(page.locator("#job-live")).to_have_attribute("data-poll-errors", "0")
    assert page.evaluate("window.__marker") == 1

    # The terminal job is still served from its snapshot, whatever upstream does.
    simulator.set_fault("http_503")
    page.goto(job_url(live_server, tenant, EXAMPLE_ID))
    expect(badge(page)).to_have_text(re.compile("SUCCESS"))
    expect(page.locator("#job-live .banner.stale")).to_have_count(0)


# -- 7. sorting ----------------------------------------------------------------------------------


def test_sorting_the_files_table_by_size(viewer, live_server, tenant, simulator):
    page = viewer
    job_id = seed_id(simulator, "erp-incre-cutover")
    page.goto(job_url(live_server, tenant, job_id))
    rows = page.locator("#files tbody tr")
    count = rows.count()
    assert count >= 100

    def sizes() -> list[float]:
        return page.eval_on_selector_all(
            "#files tbody tr td:nth-child(2)", "cells => cells.map(c => Number(c.dataset.value))"
        )

    size_header = page.locator("#files thead th").filter(has_text="Size")
    expect(size_header).not_to_have_attribute("aria-sort", re.compile(".*"))
    original = sizes()
    assert original != sorted(original), "already sorted: the test would prove nothing"

    size_header.get_by_role("button", name="Size").click()
    expect(size_header).to_have_attribute("aria-sort", "ascending")
    ascending = sizes()
    assert ascending == sorted(original)
    assert ascending[0] <= ascending[-1]
    assert rows.count() == count

    size_header.get_by_role("button").click()
    expect(size_header).to_have_attribute("aria-sort", "descending")
    assert sizes() == sorted(original, reverse=True)
    name_header = page.locator("#files thead th").filter(has_text="File name")
    expect(name_header).not_to_have_attribute("aria-sort", re.compile(".*"))


# -- 8. phone ------------------------------------------------------------------------------------

PHONE = {"width": 390, "height": 844}
# Elements whose right edge passes the viewport, outside containers that scroll on their own.
OVERFLOWING = """scope => {
  const limit = document.documentElement.clientWidth;
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (typeof el.className === "string" && el.className.trim()
       ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  return Array.from(document.querySelectorAll(scope + " *"))
    .filter(el => el.getBoundingClientRect().right > limit + 1)
    .filter(el => !el.parentElement.closest(".table-scroll, pre"))
    .map(el => name(el) + " right=" + Math.round(el.getBoundingClientRect().right))
    .slice(0, 12);
}"""


def open_on_a_phone(page: Page, url: str) -> None:
    page.set_viewport_size(PHONE)
    page.goto(url)
    expect(page.locator("#job-live h1")).to_be_visible()
    page.locator("#raw summary").click()  # the raw JSON: the longest unbroken lines
    expect(page.locator("#raw-json")).to_be_visible()


@pytest.mark.parametrize("name", ["DRS-6813", "erp-incre-cutover", "demo-escape-check"])
def test_the_job_page_has_no_horizontal_scroll_on_a_phone(
    viewer, live_server, tenant, simulator, name
):
    """A plain job, one with ~200 files, one with long hostile text: nothing scrolls sideways."""
    page = viewer
    open_on_a_phone(page, job_url(live_server, tenant, seed_id(simulator, name)))
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert width <= inner + 1, (
        f"scrollWidth {width} > {inner}: {page.evaluate(OVERFLOWING, 'body')}"
    )
    assert page.evaluate(OVERFLOWING, "body") == []
