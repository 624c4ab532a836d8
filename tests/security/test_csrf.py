"""Every route that accepts POST refuses it without a valid CSRF token, and changes nothing.

Which routes accept POST is found, not listed: each route is POSTed once with a valid token
inside a rolled-back savepoint; 405 means GET-only. Then the same POST goes out with no token,
with a wrong token, and with a valid token from a foreign Origin: each must be 403 and leave the
database exactly as it was (and call no upstream).
"""

from __future__ import annotations

import secrets

import pytest
from django.db import transaction
from django.test import Client

from jobs.tenants.models import Membership
from tests.conftest import PASSWORD, tenant_form
from tests.security.support import database_text, fill, routes
from tests.support import EXAMPLE_ID

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "N3w-unique-" + secrets.token_urlsafe(8)
# Forged connection tests sign (AK/SK, with the right key: no lockout) for a project nobody else
# uses, so a DRS call they caused is told apart from any other test's late request.
FORGED_PROJECT = "forged-" + secrets.token_hex(8)
TESTS_CONNECTION = ("tenant_test_connection", "tenant_test_connection_new")


class _Rollback(Exception):
    pass


@pytest.fixture(autouse=True)
def _actions_on(tenant):
    """Job actions on, so their routes are probed for what they would change (off, they
    refuse every POST before looking at it)."""
    tenant.actions_enabled = True
    tenant.save()


def payload(name: str, tenant, people, simulator_config) -> dict:
    """What a forged form would send: something that changes state if it got through."""
    access_key, secret_key = next(iter(simulator_config.access_keys.items()))
    signed = {
        "project_id": FORGED_PROJECT,
        "auth_method": "aksk",
        "access_key": access_key,
        "secret_key": secret_key,
    }
    forms = {
        "login": {"username": "root", "password": PASSWORD},
        "password_change": {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        "preferences": {"time_zone": "Asia/Shanghai", "language": "zh-hans"},
        "tenant_create": tenant_form(tenant, name="Forged tenant", password="forged-Passw0rd"),
        "tenant_test_connection_new": tenant_form(tenant, name="Forged", **signed),
        "tenant_edit": tenant_form(tenant, name="Renamed by a forgery"),
        "tenant_test_connection": tenant_form(tenant, **signed),
        "tenant_members": {"username": people["outsider"].username, "role": "admin"},
        "tenant_member": {"role": "admin", "remove": "1"},
    }
    return forms.get(name, {"anything": "1"})


def signed_in(user) -> Client:
    """A browser that enforces CSRF like a real one, signed in, holding a CSRF cookie."""
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    assert client.get("/accounts/login/" if user is None else "/accounts/preferences/").status_code
    assert client.cookies["csrftoken"].value
    return client


def accepts_post(client: Client, url: str, data: dict) -> bool:
    """POST with a valid token, then roll back whatever it did: 405 means GET-only."""
    token = client.cookies["csrftoken"].value
    try:
        with transaction.atomic():
            response = client.post(url, data, HTTP_X_CSRFTOKEN=token)
            raise _Rollback
    except _Rollback:
        pass
    assert response.status_code != 403, f"{url} refuses POST even with a valid token"
    return response.status_code != 405


FORGERIES = {
    "no token": {},
    "wrong token": {"HTTP_X_CSRFTOKEN": secrets.token_hex(32)},
    "valid token, foreign origin": {"HTTP_ORIGIN": "https://evil.example"},
}


@pytest.mark.parametrize("forgery", list(FORGERIES))
@pytest.mark.parametrize(("route", "name"), routes())
def test_post_without_valid_csrf_token_is_refused(
    route, name, forgery, tenant, people, simulator, simulator_config, caplog
):
    member = Membership.objects.get(user=people["viewer"], tenant=tenant)
    url = fill(route, tenant.slug, EXAMPLE_ID, member.pk)
    user = None if name == "login" else people["root"]
    data = payload(name, tenant, people, simulator_config)
    forged_calls = f"/v5/{FORGED_PROJECT}/"
    post_route = accepts_post(signed_in(user), url, data)
    if name in TESTS_CONNECTION:  # with the token, the connection test does call DRS
        assert simulator.calls(forged_calls) == 1

    client = signed_in(user)
    extra = dict(FORGERIES[forgery])
    if forgery == "valid token, foreign origin":
        extra["HTTP_X_CSRFTOKEN"] = client.cookies["csrftoken"].value
    before = database_text()
    simulator.reset_counters()
    caplog.clear()
    response = client.post(url, data, **extra)

    if post_route:
        assert response.status_code == 403, (name, response.status_code)
        assert any(r.name == "django.security.csrf" for r in caplog.records)  # not another 403
    else:
        assert response.status_code in (403, 405), (name, response.status_code)
    assert database_text() == before, f"a forged POST to {name} changed the database"
    assert simulator.calls(forged_calls) == 0, f"a forged POST to {name} called DRS"
    if user is None:
        assert client.get("/").status_code == 302  # the forged sign-in did not sign in
    else:
        assert client.get("/accounts/preferences/").status_code == 200  # still signed in


def test_the_probe_finds_the_post_routes(tenant, people, simulator_config):
    """The discovery above is not vacuous: these are known to take POST."""
    member = Membership.objects.get(user=people["viewer"], tenant=tenant)
    found = set()
    for route, name in routes():
        user = None if name == "login" else people["root"]
        url = fill(route, tenant.slug, EXAMPLE_ID, member.pk)
        if accepts_post(signed_in(user), url, payload(name, tenant, people, simulator_config)):
            found.add(name)
    assert found >= {
        "login",
        "logout",
        "password_change",
        "preferences",
        "tenant_create",
        "tenant_test_connection_new",
        "tenant_edit",
        "tenant_test_connection",
        "tenant_delete",
        "tenant_members",
        "tenant_member",
        "tenant_actions",
        "job_create",
        "job_rename",
        "job_tags",
        "job_delete",
        "jobs_delete",
    }
    assert "job_detail" not in found and "healthz" not in found


def test_forged_delete_leaves_tenant_and_members(tenant, people):
    client = signed_in(people["root"])
    members = set(Membership.objects.values_list("user__username", "tenant_id", "role"))
    assert client.post(f"/tenants/{tenant.slug}/delete/").status_code == 403
    member = Membership.objects.get(user=people["viewer"], tenant=tenant)
    url = f"/tenants/{tenant.slug}/members/{member.pk}/"
    assert client.post(url, {"remove": "1"}).status_code == 403
    assert client.post(url, {"role": "admin"}).status_code == 403
    tenant.refresh_from_db()
    assert set(Membership.objects.values_list("user__username", "tenant_id", "role")) == members
    # The same requests with the token go through, so the 403s above were the CSRF check.
    token = {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}
    assert client.post(url, {"role": "admin"}, **token).status_code == 302
    assert Membership.objects.get(pk=member.pk).role == "admin"
    assert client.post(f"/tenants/{tenant.slug}/delete/", **token).status_code == 302
    assert not type(tenant).objects.filter(pk=tenant.pk).exists()
