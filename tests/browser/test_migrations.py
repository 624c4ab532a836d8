"""A manager through the period picker; a DBA from a job page to its chain and back; axe on the
migration pages, light and dark, desktop and phone. Against a simulator seeded with chains."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from jobs.simulator import Simulator, SimulatorConfig
from tests.browser.pages import axe_violations
from tests.chains.conftest import job_named, make_tenant
from tests.conftest import PASSWORD

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def chain_sim():
    config = SimulatorConfig(
        bulk_jobs=8, live_jobs=0, seed_faults=False, chains=True, extra_projects={}
    )
    server = Simulator(config).start()
    yield server
    server.stop()


@pytest.fixture
def migrating(chain_sim, transactional_db, settings, django_user_model):
    """A synced tenant of `chain_sim`, a manager (admin) and a DBA (viewer) of it."""
    from jobs.sync.tenant import sync_tenant
    from jobs.tenants.models import Membership

    settings.SYNC_CALLS_PER_MINUTE = 1000
    tenant = make_tenant(chain_sim, "Migrating")
    for _ in range(3):
        assert sync_tenant(tenant).ok
    for name, role in (("manager", "admin"), ("dba", "viewer")):
        user = django_user_model.objects.create_user(name, f"{name}@example.com", PASSWORD)
        Membership.objects.create(user=user, tenant=tenant, role=role)
    return tenant


def sign_in(page: Page, live_server, name: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def total(page: Page) -> int:
    return int(page.locator('[data-state="total"]').inner_text())


def test_a_manager_walks_the_period_picker(page: Page, live_server, migrating):
    sign_in(page, live_server, "manager")
    page.get_by_role("link", name="Migrations", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/migrations/$"))
    week = total(page)
    page.get_by_label("All time").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    assert "period=all" in page.url
    everything = total(page)
    assert everything >= week and everything >= 9  # the seeded databases
    page.get_by_label("Custom range").check()
    page.fill("#period-from", "2001-01-01")
    page.fill("#period-to", "2001-01-31")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    expect(page.locator("#period-shown")).to_contain_text("2001-01-01")
    assert total(page) == 0
    page.get_by_label("Today").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    expect(page.get_by_label("Today")).to_be_checked()
    page.locator("#chart-volume summary").click()
    expect(page.locator("#chart-volume-table tbody tr")).to_have_count(1)  # one day: today


def test_a_dba_goes_from_a_job_page_to_its_chain_and_back(
    page: Page, live_server, migrating, chain_sim
):
    sign_in(page, live_server, "dba")
    job_id = job_named(chain_sim, "mig-billing-log-01")
    page.goto(f"{live_server.url}/tenants/{migrating.slug}/jobs/{job_id}/")
    migration = page.locator("#job-migration")
    expect(migration).to_contain_text("Step 2 of 3 of")
    migration.get_by_role("link", name="Billing").click()
    expect(page.locator("#chain-state")).to_have_attribute("data-state", "failed")
    expect(page.locator("#next-step")).to_contain_text("restore the same backup again")
    page.locator("#timeline").get_by_role("link", name="mig-billing-log-01").click()
    expect(page).to_have_url(re.compile(job_id))
    page.locator("#job-migration").get_by_role("link", name="next step").click()
    expect(page).to_have_url(re.compile(job_named(chain_sim, "mig-billing-log-02")))


def test_axe_finds_nothing_serious_on_the_migration_pages(page: Page, live_server, migrating):
    sign_in(page, live_server, "manager")
    paths = [
        "/migrations/?period=all",
        f"/tenants/{migrating.slug}/migrations/",
        f"/tenants/{migrating.slug}/migrations/9b7a6c5d4e3f40a1b2c3d4e5f6a7b8c9in04/Billing/",
        f"/tenants/{migrating.slug}/migrations/7d8c9b0a1f2e43d5a6b7c8d9e0f1a2b3in04/Tickets/",
        "/jobs/lookup/?q=Ledger",
    ]
    problems = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for size in ({"width": 1280, "height": 900}, PHONE):
            page.set_viewport_size(size)
            for path in paths:
                page.goto(live_server.url + path)
                problems += [f"{scheme} {size['width']} {path}: {v}" for v in axe_violations(page)]
    assert not problems, "\n".join(problems)
