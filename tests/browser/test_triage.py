"""Failures triage for support staff: a ranked, sortable summary first, one card per cause as
the reader sees it (a title once, its explanation inside), a few rows with "show all"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from jobs.fleet.selectors import GROUP_JOBS


@pytest.fixture
def support(page, signed_in_page, live_server, tenant, make_tenant, people, sync) -> Page:
    second = make_tenant("Acme keys", auth="aksk")  # the same simulator: the same failures
    people["viewer"].memberships.create(tenant=second, role="viewer")
    sync(tenant, second)
    page.context.add_cookies([{"name": "tz", "value": "Asia/Shanghai", "url": live_server.url}])
    return signed_in_page("viewer")


def test_the_failures_page_starts_with_a_ranked_summary(support, live_server):
    page = support
    page.goto(f"{live_server.url}/failures/")
    totals = page.locator("#triage-totals")
    expect(totals).to_contain_text("2 tenants affected")
    expect(totals.locator("time")).to_have_count(1)  # the newest occurrence

    ranking = page.locator("#cause-ranking tbody tr")
    counts = [
        int(c) for c in page.locator("#cause-ranking tbody td:nth-child(2)").all_inner_texts()
    ]
    assert len(counts) > 3 and counts == sorted(counts, reverse=True)
    assert sum(counts) == int(re.match(r"(\d+)", totals.inner_text()).group(1))
    # Each cause counts its tenants (named on hover) and its newest occurrence, and leads to
    # its card, which opens.
    first = ranking.first
    expect(first.locator("td").nth(2)).to_have_text("2")
    expect(first.locator("td").nth(2)).to_have_attribute("title", "Acme, Acme keys")
    expect(first.locator("time")).to_have_count(1)
    last = ranking.last
    link = last.locator("a")
    anchor = link.get_attribute("href")
    card = page.locator(anchor)
    expect(card).not_to_have_attribute("open", "")
    link.click()
    expect(page).to_have_url(re.compile(f"{anchor}$"))
    expect(card).to_have_attribute("open", "")
    expect(card.locator("summary h2 > span").first).to_have_text(link.inner_text())


def test_titles_are_words_once_and_the_messages_are_inside(support, live_server):
    page = support
    page.goto(f"{live_server.url}/failures/")
    titles = page.locator("details.failure-group summary h2 > span:first-child").all_inner_texts()
    assert len(titles) == len(set(titles)), titles
    explained = page.locator("details.failure-group").filter(has=page.locator(".cause-meta code"))
    for title in explained.locator("summary h2 > span:first-child").all_inner_texts():
        assert not re.match(r"^(Msg \d+|\(N)", title), title
    card = explained.filter(
        has=page.locator(".cause-meta code", has_text=re.compile(r"^Msg 3201: Cannot open backup"))
    )
    expect(card).to_have_count(1)
    expect(card.locator("summary h2 > span").first).to_have_text(
        "The backup file could not be opened: it was not found"
    )


def test_cards_show_a_few_rows_and_the_rest_behind_show_all(support, live_server):
    page = support
    page.goto(f"{live_server.url}/failures/")
    big = page.locator("details.failure-group[open]").filter(has=page.locator("details.show-all"))
    big = big.first
    expect(big).to_be_visible()
    count = int(re.match(r"\d+", big.locator("summary .badge").inner_text()).group(0))
    assert count > 3
    visible = big.locator("tbody tr:visible")
    expect(visible).to_have_count(3)
    show_all = big.locator("details.show-all > summary")
    expect(show_all).to_have_text(f"Show all {count} jobs")
    show_all.focus()
    page.keyboard.press("Enter")  # by keyboard, no script needed: <details>
    expect(visible).to_have_count(min(count, GROUP_JOBS))


def test_each_explanation_is_inside_its_own_card_and_a_refresh_keeps_what_was_opened(
    support, live_server, fast_refresh
):
    page = support
    page.goto(f"{live_server.url}/failures/")
    expect(page.locator("#shared-hints")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("See also")
    for card in page.locator("details.failure-group").all():
        expect(card.locator(".advice").first).to_be_attached()
    page.evaluate("window.__marker = 1")
    closed = page.locator("details.failure-group:not([open])").first
    anchor = closed.get_attribute("id")
    closed.locator(":scope > summary").click()
    opened = page.locator(f"#{anchor}")
    expect(opened).to_have_attribute("open", "")
    with page.expect_response(
        lambda r: "/failures/" in r.url and r.request.headers.get("hx-request")
    ):
        pass
    page.wait_for_timeout(300)
    expect(opened).to_have_attribute("open", "")  # the refresh kept it open
    assert page.evaluate("window.__marker") == 1, "the page reloaded"
    assert page.problems == []
