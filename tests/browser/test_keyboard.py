"""Keyboard: "/" goes to the lookup, every action can be reached with Tab, and the focused
element always shows it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

FOCUSABLE = (
    "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), "
    "select:not([disabled]), textarea, summary, [tabindex]:not([tabindex='-1'])"
)

# What the focused element looks like: an outline or a box-shadow ring, and where it is.
FOCUS_STATE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    key: el.tagName + '|' + (el.id || el.getAttribute('href') || el.getAttribute('name') || '') + '|' + el.textContent.trim().slice(0, 40),
    outline: style.outlineStyle !== 'none' ? parseFloat(style.outlineWidth) : 0,
    shadow: style.boxShadow !== 'none',
    visible: box.width > 0 && box.height > 0,
  };
}"""

VISIBLE_ACTIONS = """(selector) => Array.from(document.querySelectorAll(selector))
  .filter(el => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden'
                && !el.closest('details:not([open]) > :not(summary)'))
  .map(el => el.tagName + '|' + (el.id || el.getAttribute('href') || el.getAttribute('name') || '') + '|' + el.textContent.trim().slice(0, 40))"""


@pytest.fixture
def admin(page, signed_in_page, live_server, tenant, sync) -> Page:
    sync(tenant)
    page.context.add_cookies([{"name": "tz", "value": "Asia/Shanghai", "url": live_server.url}])
    return signed_in_page("admin")


def test_slash_focuses_the_lookup_but_not_while_typing(admin, live_server, tenant, simulator):
    page = admin
    page.goto(f"{live_server.url}/failures/")
    page.keyboard.press("/")
    expect(page.locator("#lookup-q-top")).to_be_focused()
    expect(page.locator("#lookup-q-top")).to_have_value("")  # the "/" is not typed
    job_id = simulator.store.find("restore-salesdb-missing")["id"]
    page.keyboard.type(job_id)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/tenants/{tenant.slug}/jobs/{job_id}/")
    # On a page with its own lookup, "/" goes there; inside a text field "/" is just typed.
    page.goto(f"{live_server.url}/tenants/{tenant.slug}/")
    page.keyboard.press("/")
    expect(page.locator("#lookup-q-tenant")).to_be_focused()
    page.keyboard.type("a/b")
    expect(page.locator("#lookup-q-tenant")).to_have_value("a/b")


@pytest.mark.parametrize("where", ["job", "list", "failures", "members"])
def test_every_action_is_reached_by_tab_with_a_visible_focus(
    admin, live_server, tenant, simulator, where
):
    page = admin
    paths = {
        "job": f"/tenants/{tenant.slug}/jobs/{simulator.store.find('restore-salesdb-missing')['id']}/",
        "list": f"/tenants/{tenant.slug}/jobs/?size=10",
        "failures": "/failures/",
        "members": f"/tenants/{tenant.slug}/members/",
    }
    page.goto(live_server.url + paths[where])
    wanted = set(page.evaluate(VISIBLE_ACTIONS, FOCUSABLE))
    assert wanted
    reached, unseen = set(), []
    for _ in range(len(wanted) * 2 + 10):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS_STATE)
        if state is None:
            continue
        if state["key"] in reached and reached >= wanted:
            break
        reached.add(state["key"])
        if not state["visible"] or not (state["outline"] >= 2 or state["shadow"]):
            unseen.append(state)
    assert not unseen, f"focus not visible on: {unseen}"
    missing = wanted - reached
    assert not missing, f"not reachable by Tab: {sorted(missing)[:10]}"
