"""Sign-in, the tenant list and the htmx connection test, in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.conftest import PASSWORD


def test_admin_signs_in_through_the_form(signed_in_page, tenant):
    page = signed_in_page("admin")
    expect(page).to_have_title("Overview · DRS backup migrations")
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("admin")
    # The overview: a row per tenant (not synced yet in this test), from the mirror.
    row = page.locator(f"#tenant-{tenant.slug}")
    expect(row.get_by_role("rowheader")).to_contain_text(tenant.name)
    expect(row.get_by_role("link", name=tenant.name)).to_have_attribute(
        "href", f"/tenants/{tenant.slug}/jobs/"
    )
    expect(row).to_contain_text("not synced yet")
    assert page.problems == []


def test_tenant_list_shows_the_tenant(signed_in_page, live_server, tenant):
    page = signed_in_page("admin")
    page.get_by_role("link", name="Tenants").click()
    expect(page).to_have_url(f"{live_server.url}/tenants/")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=tenant.name))
    expect(row).to_contain_text(tenant.region)
    expect(row).to_contain_text("Admin")


def test_test_connection_swaps_the_result_without_reloading(
    signed_in_page, live_server, tenant, simulator_config
):
    page = signed_in_page("admin")
    page.goto(f"{live_server.url}/tenants/{tenant.slug}/edit/")
    result = page.locator("#connection-result")
    expect(result).to_be_empty()
    page.evaluate("window.beforeClick = 'still here'")

    with page.expect_response(re.compile(r"/test-connection/$")) as response:
        page.get_by_role("button", name="Test connection").click()
    assert response.value.request.headers.get("hx-request") == "true"
    expect(result).to_contain_text("Connected")

    assert page.evaluate("window.beforeClick") == "still here"  # no page load happened
    assert page.url == f"{live_server.url}/tenants/{tenant.slug}/edit/"
    _, _, secret = simulator_config.iam_users[0]
    html = page.content()
    assert secret not in html
    assert page.locator("input[name=password]").input_value() == ""


def test_five_wrong_passwords_lock_the_username(page, live_server, people):
    page.goto(f"{live_server.url}/accounts/login/")
    for attempt in range(6):  # five failures, then even the right password is refused
        page.fill("input[name=username]", "viewer")
        page.fill("input[name=password]", PASSWORD if attempt == 5 else "wrong-password")
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-ins")
    assert page.url == f"{live_server.url}/accounts/login/"
    expect(page.get_by_role("link", name="Tenants")).to_have_count(0)


def test_the_tenant_password_never_reaches_the_page(signed_in_page, live_server, tenant):
    secret = tenant.password
    assert len(secret) >= 8
    page = signed_in_page("admin")
    for path in ("/", "/tenants/", f"/tenants/{tenant.slug}/", f"/tenants/{tenant.slug}/edit/"):
        page.goto(f"{live_server.url}{path}")
        assert secret not in page.content(), path
    expect(page.get_by_text("set; leave empty to keep")).to_be_visible()  # write-only hint
    assert secret[-4:] not in page.content()  # too short a secret to show even its end
