"""Test connection (htmx) says plainly what failed, without saving anything."""

from __future__ import annotations

import pytest

from jobs.tenants.models import Tenant
from tests.conftest import tenant_form

pytestmark = pytest.mark.django_db


def connection_result(client, tenant, people, **changes) -> str:
    client.force_login(people["admin"])
    response = client.post(
        f"/tenants/{tenant.slug}/test-connection/",
        tenant_form(tenant, **changes),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # the fragment alone
    return html


def test_stored_credentials_work(client, tenant, people):
    assert "Connected" in connection_result(client, tenant, people)


def test_wrong_password(client, tenant, people):
    html = connection_result(client, tenant, people, password="wrong-password")
    assert "refused the credentials" in html
    assert Tenant.objects.get(pk=tenant.pk).password != "wrong-password"  # nothing saved


def test_wrong_project(client, tenant, people):
    html = connection_result(
        client,
        tenant,
        people,
        project_id="0b4c7e2f9a8d4f6e8c1b3a5d7e9f0c2a",
        password=tenant.password,
    )
    assert "lack DRS permissions" in html or "refused the credentials" in html


def test_unreachable_endpoint(client, tenant, people):
    html = connection_result(
        client,
        tenant,
        people,
        drs_endpoint="http://127.0.0.1:9",
        iam_endpoint="http://127.0.0.1:9",
        password=tenant.password,
    )
    assert "Could not reach" in html


def test_throttled(client, tenant, people, simulator):
    simulator.set_fault("throttle")
    assert "throttling" in connection_result(client, tenant, people)


def test_wrong_secret_key(client, make_tenant, people):
    tenant = make_tenant("Keys", auth="aksk")
    people["admin"].memberships.create(tenant=tenant, role="admin")
    html = connection_result(client, tenant, people, secret_key="x" * 40)
    assert "AK/SK signature" in html and "APIG.030" in html


def test_new_tenant_form_can_test_before_saving(client, tenant, people):
    client.force_login(people["root"])
    response = client.post(
        "/tenants/new/test-connection/", tenant_form(tenant, name="Fresh", password=tenant.password)
    )
    assert "Connected" in response.content.decode()
    assert not Tenant.objects.filter(name="Fresh").exists()


def test_stored_secret_never_follows_a_changed_endpoint(client, tenant, people, simulator):
    """An admin cannot point the tenant elsewhere and have the server send it the password."""
    before = simulator.tokens_issued
    html = connection_result(
        client, tenant, people, iam_endpoint="http://127.0.0.1:9", drs_endpoint="http://127.0.0.1:9"
    )
    assert "Fix the highlighted fields first" in html
    response = client.post(
        f"/tenants/{tenant.slug}/edit/", tenant_form(tenant, iam_endpoint="http://127.0.0.1:9")
    )
    assert response.status_code == 400
    assert "Enter it again" in response.content.decode()
    assert Tenant.objects.get(pk=tenant.pk).iam_endpoint == tenant.iam_endpoint
    assert simulator.tokens_issued == before
