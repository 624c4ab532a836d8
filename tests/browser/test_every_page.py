"""Checks that hold on every page: it fits a phone (390 × 844) without the page itself
scrolling sideways, and axe-core finds no serious or critical violation, in light and dark.

`SCREENSHOTS=folder` (what `make screenshots` sets) also saves each page at desktop and phone
width, light and dark, into that folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import axe_violations, every_page, horizontal_overflow, wide_elements

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture
def running_id(simulator) -> str:
    return simulator.add_live_job(3600, outcome="SUCCESS")


@pytest.fixture
def root(page, signed_in_page, live_server, tenant, sync, running_id) -> Page:
    """The superuser (who can open every page), with the tenant synced and the tz cookie set."""
    sync(tenant)
    page.context.add_cookies([{"name": "tz", "value": "Asia/Shanghai", "url": live_server.url}])
    return signed_in_page("root")


def visit(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("main h1").first).to_be_visible()


def test_every_page_fits_a_phone(root, live_server, tenant, simulator, running_id):
    page = root
    page.set_viewport_size(PHONE)
    too_wide = {}
    for item in every_page(tenant, simulator, running_id):
        visit(page, live_server.url + item.path)
        if (extra := horizontal_overflow(page)) > 0:
            too_wide[item.name] = (extra, wide_elements(page))
    page.context.clear_cookies()
    visit(page, f"{live_server.url}/accounts/login/")
    if (extra := horizontal_overflow(page)) > 0:
        too_wide["login"] = (extra, wide_elements(page))
    assert not too_wide, f"pages wider than a phone: {too_wide}"


def test_on_a_phone_the_lookup_sits_under_the_thumb_and_tables_stack(
    root, live_server, tenant, simulator
):
    page = root
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/tenants/{tenant.slug}/jobs/")
    box = page.locator("#lookup-q-top").bounding_box()
    assert box["y"] > PHONE["height"] * 0.8, f"the lookup is out of the thumb's reach: {box}"
    assert box["height"] >= 44
    button = page.locator(".top-lookup button").bounding_box()
    assert button["height"] >= 44 and button["y"] > PHONE["height"] * 0.8
    # Job rows are cards: the first row's cells stand one under the other, each labelled.
    row = page.locator("#job-table tbody tr").first
    cells = row.locator("td:not(:empty)").evaluate_all(
        "tds => tds.map(td => td.getBoundingClientRect().x)"
    )
    assert len(set(round(x) for x in cells)) == 1, cells
    label = row.locator("td").nth(1).evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"Status"'
    # Still scrolled to the bottom of a long page, the lookup stays in reach and works.
    page.mouse.wheel(0, 3000)
    job_id = simulator.store.find("restore-salesdb-missing")["id"]
    page.locator("#lookup-q-top").fill(job_id)
    with page.expect_navigation():
        page.locator("#lookup-q-top").press("Enter")
    expect(page).to_have_url(f"{live_server.url}/tenants/{tenant.slug}/jobs/{job_id}/")
    assert horizontal_overflow(page) <= 0


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_serious_on_any_page(
    root, live_server, tenant, simulator, running_id, scheme
):
    """axe-core 4.14.1 (tests/browser/vendor/axe.min.js, from `npm pack axe-core`)."""
    page = root
    page.emulate_media(color_scheme=scheme)
    found = {}
    for item in every_page(tenant, simulator, running_id):
        visit(page, live_server.url + item.path)
        if violations := axe_violations(page):
            found[item.name] = violations
    page.context.clear_cookies()
    visit(page, f"{live_server.url}/accounts/login/")
    if violations := axe_violations(page):
        found["login"] = violations
    assert not found, "\n".join(f"{name}: {v}" for name, vs in found.items() for v in vs)


@pytest.mark.skipif(not os.environ.get("SCREENSHOTS"), reason="`make screenshots` sets SCREENSHOTS")
def test_screenshots(root, live_server, tenant, simulator, running_id):
    """Every page at desktop and phone width, light and dark: NN-name-width-scheme.png."""
    folder = Path(os.environ["SCREENSHOTS"])
    folder.mkdir(parents=True, exist_ok=True)
    page = root
    pages = every_page(tenant, simulator, running_id)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            for n, item in enumerate(pages, start=1):
                visit(page, live_server.url + item.path)
                shot = folder / f"{n:02d}-{item.name}-{label}-{scheme}.png"
                page.screenshot(path=str(shot), full_page=True)
    page.context.clear_cookies()
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            visit(page, f"{live_server.url}/accounts/login/")
            page.screenshot(path=str(folder / f"00-login-{label}-{scheme}.png"), full_page=True)
    assert len(list(folder.glob("*.png"))) >= 4 * (len(pages) + 1)
