"""Failures triage for support staff: a ranked summary first, headings in words, groups
collapsed to a few rows with "show all", one shared explanation instead of repeats."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect


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
    # Each cause names its tenants and its newest occurrence, and leads to its group.
    first = ranking.first
    expect(first.locator("td").nth(2)).to_contain_text("Acme, Acme keys")
    expect(first.locator("time")).to_have_count(1)
    link = first.locator("a")
    anchor = link.get_attribute("href")
    link.click()
    expect(page).to_have_url(re.compile(f"{anchor}$"))
    group = page.locator(anchor)
    expect(group.locator("h2")).to_have_text(link.inner_text())


def test_headings_are_words_and_the_message_is_the_subtitle(support, live_server):
    page = support
    page.goto(f"{live_server.url}/failures/")
    for heading in page.locator("article.failure-group h2").all_inner_texts():
        assert not re.match(r"^(Msg \d+|\(N)", heading), heading
    group = (
        page.locator("article.failure-group")
        .filter(
            has=page.locator(
                ".subtitle code", has_text=re.compile(r"^Msg 3201: Cannot open backup")
            )
        )
        .first
    )
    expect(group.locator("h2")).to_have_text(
        "The backup file could not be opened: it was not found"
    )


def test_groups_show_a_few_rows_and_the_rest_behind_show_all(support, live_server):
    page = support
    page.goto(f"{live_server.url}/failures/")
    big = page.locator("article.failure-group").filter(has=page.locator("details.show-all")).first
    expect(big).to_be_visible()
    count = int(big.locator(".title-row .badge").inner_text())
    assert count > 3
    visible = big.locator("tbody tr:visible")
    expect(visible).to_have_count(3)
    show_all = big.locator("details.show-all > summary")
    expect(show_all).to_have_text(f"Show all {count} jobs")
    show_all.focus()
    page.keyboard.press("Enter")  # by keyboard, no script needed: <details>
    expect(visible).to_have_count(min(count, 100))


def test_an_explanation_shared_by_causes_is_said_once(support, live_server):
    page = support
    page.goto(f"{live_server.url}/failures/")
    shared = page.locator("#shared-hints aside.hint")
    titles = shared.locator("strong").all_inner_texts()
    assert titles, "the seeded failures share at least one explanation"
    for title in titles:
        # Once in full (on top); the groups refer to it with a link.
        expect(page.locator("aside.hint strong", has_text=title)).to_have_count(1)
        refs = page.locator("p.shared-ref a", has_text=title)
        assert refs.count() >= 2
        refs.first.click()
        expect(page).to_have_url(re.compile(r"#hint-"))
