"""The `make run` path: the demo command's tenants reach the simulator through both auth methods."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from jobs.tenants.models import Tenant
from jobs.upstream.client import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(simulator):
    call_command("demo", simulator_url=simulator.url, stdout=open("/dev/null", "w"))  # noqa: SIM115
    return Tenant.objects.order_by("slug")


def test_demo_tenants_reach_the_simulator(demo, simulator_config):
    assert [t.slug for t in demo] == ["demo-aksk", "demo-token"]
    for tenant in demo:
        page = client_for(tenant).list_jobs(limit=5)
        assert page.count > 0 and len(page.jobs) == 5


def test_secrets_are_encrypted_in_the_database(demo, simulator_config):
    _, _, password = simulator_config.iam_users[0]
    _, secret_key = next(iter(simulator_config.access_keys.items()))
    token_tenant = Tenant.objects.get(slug="demo-token")
    aksk_tenant = Tenant.objects.get(slug="demo-aksk")
    assert token_tenant.password == password
    assert aksk_tenant.secret_key == secret_key
    stored = Tenant.objects.values_list("password_encrypted", "secret_key_encrypted")
    for row in stored:
        for value in row:
            assert password not in value and secret_key not in value


def test_home_is_the_overview_of_both_tenants(demo, client):
    assert client.login(username="demo", password="drs-demo-2026")
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Demo (IAM token)" in html and "Demo (AK/SK)" in html
    assert html.count('<tr id="tenant-demo-') == 2  # one overview row per tenant
    assert 'role="alert"' not in html


def test_anonymous_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_health_check(client):
    assert client.get("/healthz").json() == {"status": "ok"}
