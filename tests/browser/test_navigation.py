"""The top bar shows each person only the links they can open, and every one of them opens."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

EVERYONE = ["Migrations", "Failures", "Tenants", "Notifications"]
EXPECTED = {
    "viewer": EVERYONE,
    "operator": EVERYONE,
    "admin": ["Migrations", "Failures", "Tenants", "Audit log", "Notifications"],
    "root": ["Migrations", "Failures", "Tenants", "Audit log", "Sync status", "Notifications"],
}


@pytest.mark.parametrize("person", list(EXPECTED))
def test_the_top_bar_fits_the_role(signed_in_page, live_server, people, person):
    page = signed_in_page(person)
    links = page.locator("#top-links a")
    expected = [*EXPECTED[person], people[person].get_username()]
    expect(links).to_have_text(expected)
    for href in links.evaluate_all("els => els.map(a => a.getAttribute('href'))"):
        response = page.request.get(f"{live_server.url}{href}")
        assert response.status == 200, f"{person}: {href} answers {response.status}"
    # What is not shown is indeed closed to this person (404, never a visible dead end).
    hidden = {"Audit log": "/audit/", "Sync status": "/sync/"}
    for label, href in hidden.items():
        if label not in EXPECTED[person]:
            assert page.request.get(f"{live_server.url}{href}").status == 404
    page.goto(f"{live_server.url}/tenants/")
    expect(page.locator("#top-links a[aria-current=page]")).to_have_text("Tenants")
