"""The tenant's "stalled after" threshold (hours a database may await its next backup): edited
on the tenant's page and given to `manage.py tenant add`, held to 1..720, audited."""

from __future__ import annotations

import io
import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jobs.tenants.models import AuditEvent, Tenant
from tests.conftest import tenant_form

pytestmark = pytest.mark.django_db


def edit(login, tenant, **changes):
    return login("admin").post(f"/tenants/{tenant.slug}/edit/", tenant_form(tenant, **changes))


def updates(tenant) -> list[list[str]]:
    return [
        e.detail["fields"]
        for e in AuditEvent.objects.filter(tenant=tenant, action="tenant_updated").order_by("id")
    ]


def test_the_edit_page_offers_it_with_its_bounds(login, tenant):
    page = login("admin").get(f"/tenants/{tenant.slug}/edit/").content.decode()
    assert 'name="awaiting_threshold_hours"' in page and 'value="24"' in page
    assert 'min="1"' in page and 'max="720"' in page
    assert "Stalled after (hours awaiting the next backup)" in page


def test_an_admin_changes_it_and_the_change_is_audited(login, tenant):
    response = edit(login, tenant, awaiting_threshold_hours="72")
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert tenant.awaiting_threshold_hours == 72
    assert updates(tenant) == [["awaiting_threshold_hours"]]
    detail = login("viewer").get(f"/tenants/{tenant.slug}/").content.decode()
    assert "72 hours awaiting the next backup" in detail


@pytest.mark.parametrize(
    "value", ["0", "721", "-5", "abc", "1.5", "1e3", "99999999999999999999999", "\x00"]
)
def test_a_bad_value_is_a_form_error_and_changes_nothing(login, tenant, value):
    response = edit(login, tenant, awaiting_threshold_hours=value)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_awaiting_threshold_hours_error"' in page
    tenant.refresh_from_db()
    assert tenant.awaiting_threshold_hours == 24 and updates(tenant) == []


def test_left_out_keeps_the_stored_value_and_is_no_change(login, tenant):
    tenant.awaiting_threshold_hours = 48
    tenant.save()
    response = edit(login, tenant, name="Renamed")
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert tenant.awaiting_threshold_hours == 48
    assert updates(tenant) == [["name"]]


def test_only_admins_may_change_it(login, tenant):
    for who in ("viewer", "operator"):
        client = login(who)
        data = tenant_form(tenant, awaiting_threshold_hours="5")
        assert client.post(f"/tenants/{tenant.slug}/edit/", data).status_code == 403
    tenant.refresh_from_db()
    assert tenant.awaiting_threshold_hours == 24


def add(simulator_config, *extra) -> str:
    access_key, secret_key = next(iter(simulator_config.access_keys.items()))
    out = io.StringIO()

    os.environ["DRS_SK"] = secret_key
    try:
        call_command(
            "tenant",
            "add",
            "--name",
            "Threshold",
            "--region",
            "ap-southeast-3",
            "--project-id",
            simulator_config.project_id,
            "--auth",
            "aksk",
            "--ak",
            access_key,
            *extra,
            stdout=out,
        )
    finally:
        del os.environ["DRS_SK"]
    return out.getvalue().splitlines()[-1]


def test_the_cli_sets_it_when_adding_a_tenant(simulator_config):
    slug = add(simulator_config, "--awaiting-hours", "96")
    assert Tenant.objects.get(slug=slug).awaiting_threshold_hours == 96


def test_the_cli_defaults_to_a_day_and_refuses_a_bad_value(simulator_config):
    slug = add(simulator_config)
    assert Tenant.objects.get(slug=slug).awaiting_threshold_hours == 24
    with pytest.raises(CommandError, match="awaiting_threshold_hours"):
        add(simulator_config, "--awaiting-hours", "0")
    assert Tenant.objects.count() == 1
