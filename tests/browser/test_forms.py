"""Forms: the tenant form shows the chosen method's credentials only (and still works without
JavaScript), removing a member asks first, invalid forms answer 400."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from jobs.tenants.models import Membership, Tenant
from tests.conftest import PASSWORD

PASSWORD_FIELDS = ("#id_iam_domain", "#id_iam_user", "#id_password")
KEY_FIELDS = ("#id_access_key", "#id_secret_key")


def test_the_tenant_form_shows_only_the_chosen_methods_fields(signed_in_page, live_server):
    page = signed_in_page("root")
    page.goto(f"{live_server.url}/tenants/new/")
    method = page.locator("#id_auth_method")
    method.select_option("password")
    for field in PASSWORD_FIELDS:
        expect(page.locator(field)).to_be_visible()
    for field in KEY_FIELDS:
        expect(page.locator(field)).to_be_hidden()
    method.select_option("aksk")
    for field in KEY_FIELDS:
        expect(page.locator(field)).to_be_visible()
    for field in PASSWORD_FIELDS:
        expect(page.locator(field)).to_be_hidden()


def test_editing_shows_the_stored_method_and_keeps_working(signed_in_page, live_server, tenant):
    page = signed_in_page("admin")
    page.goto(f"{live_server.url}/tenants/{tenant.slug}/edit/")
    expect(page.locator("#id_auth_method")).to_have_value("password")
    expect(page.locator("#id_iam_user")).to_be_visible()
    expect(page.locator("#id_access_key")).to_be_hidden()
    page.fill("#id_name", "Acme renamed")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    expect(page.locator("main h1")).to_have_text("Acme renamed")
    tenant.refresh_from_db()
    assert tenant.name == "Acme renamed" and tenant.iam_user


def test_without_javascript_both_methods_show_and_invalid_answers_400(
    browser: Browser, live_server, people
):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", "root")
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        page.goto(f"{live_server.url}/tenants/new/")
        for field in PASSWORD_FIELDS + KEY_FIELDS:
            expect(page.locator(field)).to_be_visible()
        with page.expect_navigation() as answer:
            page.get_by_role("button", name="Save").click()  # nothing filled in
        assert answer.value.status == 400
        expect(page.locator("#id_name")).to_have_attribute("aria-invalid", "true")
        assert not Tenant.objects.filter(name="").exists()
    finally:
        context.close()


@pytest.mark.parametrize(
    "path,fill,button",
    [
        ("/tenants/{slug}/members/", {"#id_username": "nobody"}, "Add"),
        (
            "/accounts/password_change/",
            {
                "#id_old_password": "wrong",
                "#id_new_password1": "a-new-one-9",
                "#id_new_password2": "a-new-one-9",
            },
            "Change password",
        ),
    ],
)
def test_invalid_forms_answer_400(signed_in_page, live_server, tenant, path, fill, button):
    page = signed_in_page("admin")
    page.goto(live_server.url + path.format(slug=tenant.slug))
    for selector, value in fill.items():
        page.fill(selector, value)
    with page.expect_navigation() as answer:
        page.get_by_role("button", name=button, exact=True).click()
    assert answer.value.status == 400
    expect(page.locator(".errorlist").first).to_be_visible()


def test_removing_a_member_asks_first_and_looks_destructive(
    signed_in_page, live_server, tenant, people
):
    page = signed_in_page("admin")
    page.goto(f"{live_server.url}/tenants/{tenant.slug}/members/")
    row = page.locator("#member-table tbody tr").filter(
        has=page.locator("td", has_text=re.compile("^viewer$"))
    )
    ask = row.locator("summary", has_text="Remove…")
    confirm = row.get_by_role("button", name="Yes, remove viewer")
    expect(confirm).to_be_hidden()
    color = ask.evaluate("el => getComputedStyle(el).color")
    red, green, blue = (int(v) for v in re.findall(r"\d+", color)[:3])
    assert red > 150 and red > 2 * green and red > 2 * blue, f"not red: {color}"
    ask.focus()
    page.keyboard.press("Enter")  # the question opens by keyboard, no script needed
    expect(row).to_contain_text("Remove viewer from Acme?")
    assert Membership.objects.filter(user=people["viewer"], tenant=tenant).exists()
    with page.expect_navigation():
        confirm.click()
    assert not Membership.objects.filter(user=people["viewer"], tenant=tenant).exists()
    expect(page.locator("#member-table td", has_text=re.compile("^viewer$"))).to_have_count(0)
