"""Job actions in a real browser: a failed job → Recreate → the form prefilled → submit → the new
job's page shows it running, then finished; and the chain's next step prefilled from a job."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import axe_violations

SHOTS = Path(tempfile.gettempdir())


@pytest.fixture
def operator(page, signed_in_page, live_server, tenant, settings, simulator) -> Page:
    settings.JOB_REFRESH_SECONDS = 1
    tenant.actions_enabled = True
    tenant.save()
    before = simulator.config.created_job_seconds
    simulator.config.created_job_seconds = 4.0
    page.context.add_cookies([{"name": "tz", "value": "Asia/Shanghai", "url": live_server.url}])
    yield signed_in_page("operator")
    simulator.config.created_job_seconds = before


def test_recreate_a_failed_job_and_watch_the_new_one_finish(
    operator, live_server, tenant, simulator
):
    page = operator
    failed = simulator.add_live_job(
        0,
        "FAILED",
        name="erp-nightly",
        bucket_name="erp-backups",
        error_log="Msg 1801, Level 16, State 3, Line 1\nDatabase 'Sales' already exists.",
    )
    page.goto(f"{live_server.url}/tenants/{tenant.slug}/jobs/{failed}/")
    page.locator("#recreate").click()
    expect(page.locator("#id_name")).to_have_value("erp-nightly-r2")
    expect(page.locator("#id_bucket_name")).to_have_value("erp-backups")
    expect(page.locator("#id_is_precheck")).to_be_checked()
    expect(page.locator("#id_is_cover")).to_be_checked()  # the hint's fix, proposed
    expect(page.locator("#prefill")).to_contain_text("already exists on the target")
    assert axe_violations(page) == []
    page.screenshot(path=str(SHOTS / "recreate-form.png"), full_page=True)
    page.get_by_role("button", name="Preview the request").click()
    expect(page.locator("#request-body")).to_contain_text('"bucket_name": "erp-backups"')
    page.get_by_role("button", name="Create the job in DRS").click()
    page.wait_for_url(lambda url: "/jobs/" in url and failed not in url and "/new/" not in url)
    badge = page.locator("#job-live .title-row .badge")
    expect(badge).to_contain_text("TRANSFERRING", ignore_case=True)
    expect(page.locator("#job-live h1")).to_have_text("erp-nightly-r2")
    expect(badge).to_contain_text("SUCCESS", ignore_case=True, timeout=20_000)  # polled, live
    new_id = page.url.rstrip("/").rsplit("/", 1)[1]
    assert simulator.store.get(new_id)["options"]["is_cover"] is True


def test_cut_over_is_prefilled_from_a_restoring_job(operator, live_server, tenant, simulator):
    page = operator
    restoring = simulator.add_live_job(
        0,
        "SUCCESS",
        name="erp-chain-full",
        bucket_name="erp-backups",
        recovery_mode="full",
        is_last_backup=False,
        is_default_restore=False,
        db_names=["Sales"],
    )
    page.goto(f"{live_server.url}/tenants/{tenant.slug}/jobs/{restoring}/")
    page.locator("#cut-over").click()
    expect(page.locator("h1")).to_have_text("Cut over")
    expect(page.locator("#id_is_last_backup")).to_be_checked()
    expect(page.locator("#id_recovery_mode_1")).to_be_checked()  # incremental
    expect(page.locator("#id_db_names")).to_have_value("Sales")
    expect(page.locator("#id_bucket_name")).to_have_value("erp-backups")


def test_a_chain_cut_over_from_its_page_comes_online(
    operator, live_server, tenant, simulator, sync, settings
):
    page = operator
    settings.SYNC_CALLS_PER_MINUTE = 1000
    full = simulator.add_live_job(
        0,
        "SUCCESS",
        name="ledger-full",
        bucket_name="erp-backups",
        recovery_mode="full",
        is_last_backup=False,
        is_default_restore=False,
        db_names=["Ledger2026"],
    )
    instance = simulator.store.get(full)["target_db_info"]["target_instance_id"]
    sync(tenant)  # the list, in bulk
    sync(tenant)  # the details, newest first: the chain
    chain_url = f"{live_server.url}/tenants/{tenant.slug}/migrations/{instance}/Ledger2026/"
    page.goto(chain_url)
    expect(page.locator("#chain-state")).to_have_attribute("data-state", "awaiting")
    assert axe_violations(page) == []
    page.locator("#chain-actions #cut-over").click()
    expect(page.locator("h1")).to_have_text("Cut over")
    expect(page.locator("#id_is_last_backup")).to_be_checked()
    expect(page.locator("#id_db_names")).to_have_value("Ledger2026")
    expect(page.locator("#id_target_instance_id")).to_have_value(instance)
    page.fill("#id_files", "Ledger2026_log_final.trn")
    page.get_by_role("button", name="Preview the request").click()
    expect(page.locator("#request-body")).to_contain_text('"is_last_backup": true')
    page.get_by_role("button", name="Create the job in DRS").click()
    page.wait_for_url(lambda url: "/jobs/" in url and full not in url and "/new/" not in url)
    badge = page.locator("#job-live .title-row .badge")
    expect(badge).to_contain_text("SUCCESS", ignore_case=True, timeout=20_000)  # polled, live
    page.goto(chain_url)
    expect(page.locator("#chain-state")).to_have_attribute("data-state", "online")
    expect(page.locator("#timeline li")).to_have_count(2)
    expect(page.locator("#chain-actions")).to_have_count(0)  # online: no next step to take
