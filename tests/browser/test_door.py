"""The organisation's door in a real browser: single sign-on through an OpenID Connect provider
on loopback (in, groups to roles, out at the provider too), API tokens, the API's docs page."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.accounts.oidc_provider import CLIENT_ID, CLIENT_SECRET, person, running


@pytest.fixture(scope="module")
def issuer():
    with running() as url:
        yield url


@pytest.fixture
def sso(settings, issuer, tenant):
    settings.OIDC_ISSUER = issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_PROVIDER_NAME = "Example SSO"
    settings.OIDC_GROUP_ROLES = f"dba={tenant.slug}:operator"
    return issuer


def test_sign_in_and_out_through_the_provider(page, live_server, sso, tenant):
    person(sso, "sub-grace", email="grace@example.com", preferred_username="grace", groups=["dba"])
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Sign in with Example SSO").click()
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    page.fill("input[name=sub]", "sub-grace")
    with page.expect_navigation(url=f"{live_server.url}/"):
        page.get_by_role("button", name="Authorize").click()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_contain_text("grace")
    # The groups claim made her an operator of the tenant.
    page.goto(f"{live_server.url}/tenants/")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=tenant.name))
    expect(row).to_contain_text("Operator")
    # Sign out: here, then at the provider, which sends her back to the sign-in page.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="End Session")).to_be_visible()
    assert page.url.startswith(f"{sso}/oauth2/end_session?")
    with page.expect_navigation(url=re.compile(re.escape(f"{live_server.url}/accounts/login/"))):
        page.get_by_role("button", name="End session").click()
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    assert CLIENT_SECRET not in page.content()


def test_a_token_made_in_the_browser_reads_the_api(page, signed_in_page, live_server, tenant):
    signed_in_page("viewer")
    page.goto(f"{live_server.url}/accounts/preferences/")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("laptop")
    page.get_by_role("button", name="Make token").click()
    secret = page.locator("#new-token").inner_text()
    assert secret.startswith("drs_")
    answer = requests.get(
        f"{live_server.url}/api/v1/tenants",
        headers={"Authorization": f"Bearer {secret}"},
        timeout=5,
    )
    assert [t["slug"] for t in answer.json()] == [tenant.slug]
    page.goto(f"{live_server.url}/accounts/tokens/")  # the list again: the secret is gone
    expect(page.locator("#token-table")).to_contain_text("laptop")
    assert secret not in page.content()
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator("#token-table")).to_contain_text("revoked")
    again = requests.get(
        f"{live_server.url}/api/v1/tenants",
        headers={"Authorization": f"Bearer {secret}"},
        timeout=5,
    )
    assert again.status_code == 401


def test_the_api_docs_page_runs_under_the_strict_csp(page, live_server):
    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.get_by_text("DRS backup migrations — read API")).to_be_visible()
    expect(page.get_by_text("/api/v1/tenants/{slug}/jobs", exact=True)).to_be_visible()
    assert page.problems == []
