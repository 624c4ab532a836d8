"""One way of saying things everywhere: durations, times with their UTC offset, dates on one
line, statuses in the reader's language with the API's value kept, long ids that wrap."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from jobs.job_page.formatting import human_duration
from tests.support import EXAMPLE_ID

DURATION = re.compile(r"^(\d+ h \d+ min|\d+ min \d+ s|\d+ s)$")


@pytest.fixture
def viewer(page, signed_in_page, live_server, tenant, sync) -> Page:
    sync(tenant)
    page.context.add_cookies([{"name": "tz", "value": "Asia/Shanghai", "url": live_server.url}])
    return signed_in_page("viewer")


def test_one_duration_format_on_the_server_and_in_the_live_clock(
    viewer, live_server, tenant, simulator
):
    assert human_duration(timedelta(seconds=286)) == "4 min 46 s"
    assert human_duration(timedelta(seconds=3900)) == "1 h 5 min"
    assert human_duration(timedelta(seconds=9)) == "9 s"
    page = viewer
    page.goto(f"{live_server.url}/tenants/{tenant.slug}/jobs/?status=SUCCESS")
    durations = page.locator("#job-table td[data-label=Duration]").all_inner_texts()
    assert durations and all(DURATION.match(d) for d in durations), durations

    job_id = simulator.add_live_job(3600, outcome="SUCCESS")
    page.goto(f"{live_server.url}/tenants/{tenant.slug}/jobs/{job_id}/")
    clock = page.locator("[data-elapsed-since]").first
    page.evaluate(
        """() => document.querySelector('[data-elapsed-since]').dataset.elapsedSince =
             new Date(Date.now() - 286000).toISOString()"""
    )
    expect(clock).to_have_text(re.compile(r"^4 min 4[67] s$"))
    page.evaluate(
        """() => document.querySelector('[data-elapsed-since]').dataset.elapsedSince =
             new Date(Date.now() - 3900000).toISOString()"""
    )
    expect(clock).to_have_text("1 h 5 min")


def test_times_carry_their_utc_offset_and_dates_stay_on_one_line(viewer, live_server, tenant):
    page = viewer
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server.url}/tenants/{tenant.slug}/jobs/?size=100")
    times = page.locator("#job-table td time")
    expect(times.first).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\+8$"))
    assert "CST" not in page.locator("main").inner_text()
    lines = times.evaluate_all("els => els.map(t => t.getClientRects().length)")
    assert lines and set(lines) == {1}, "a date wraps in its table cell"
    heights = times.evaluate_all("els => els.map(t => t.getBoundingClientRect().height)")
    line = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('#job-table td time')).lineHeight) || 24"
    )
    assert max(heights) <= line * 1.2, heights
    expect(times.first).to_have_attribute("title", re.compile(r"^UTC \d{4}-\d\d-\d\d"))


def test_statuses_in_chinese_keep_the_api_value(viewer, live_server, tenant):
    page = viewer
    page.context.add_cookies(
        [{"name": "django_language", "value": "zh-hans", "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/tenants/{tenant.slug}/jobs/?status=FAILED")
    badge = page.locator("#job-table .badge[data-status=FAILED]").first
    expect(badge).to_have_text(re.compile("失败$"))
    expect(badge).to_have_attribute("title", "DRS状态：FAILED")
    option = page.locator("#id_status option[value='PRECHECK FAILED']")
    expect(option).to_have_text("预检查失败 (PRECHECK FAILED)")
    expect(page.locator("#id_status")).to_have_value("FAILED")
    page.locator("#id_status").select_option("SUCCESS")
    expect(page.locator("#job-table .badge").first).to_have_text(re.compile("成功$"))


def test_long_job_ids_wrap_and_the_lookup_says_the_id_is_too_long(viewer, live_server, tenant):
    page = viewer
    page.set_viewport_size({"width": 390, "height": 844})
    too_long = EXAMPLE_ID + "abcdef0123" * 3
    page.goto(f"{live_server.url}/")
    page.locator("#lookup-q-top").fill(too_long)
    page.locator("#lookup-q-top").press("Enter")
    problem = page.locator("#lookup-problem")
    expect(problem).to_contain_text(f"That id is too long: {len(too_long)} characters")
    assert page.evaluate("document.documentElement.scrollWidth - innerWidth") <= 0
    long_id = "a" * 64  # the longest id the page's address accepts
    page.goto(f"{live_server.url}/tenants/{tenant.slug}/jobs/{long_id}/")
    expect(page.locator("main h1 code")).to_have_text(long_id)
    assert page.evaluate("document.documentElement.scrollWidth - innerWidth") <= 0
