"""LOCAL_PASSWORDS=off: only the break-glass accounts of LOCAL_PASSWORD_USERS sign in with a
password; everyone else is refused (and told where to sign in), audited, and counted."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate

from jobs.tenants.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def passwords_off(settings):
    settings.LOCAL_PASSWORDS = False
    settings.LOCAL_PASSWORD_USERS = ["root"]
    settings.OIDC_ISSUER = "https://id.example.com"
    settings.OIDC_PROVIDER_NAME = "Example SSO"


def test_a_disabled_local_password_is_refused(client, people, passwords_off):
    response = client.post("/accounts/login/", {"username": "viewer", "password": PASSWORD})
    assert response.status_code == 403
    assert "Passwords are turned off here: sign in with Example SSO." in response.content.decode()
    assert client.get("/").status_code == 302  # not signed in
    event = AuditEvent.objects.get(action="login_failed")
    assert event.actor_name == "viewer" and event.detail == {"reason": "local passwords are off"}


def test_other_spellings_of_a_name_are_refused_too(client, people, passwords_off):
    for name in ("VIEWER", "ｖｉｅｗｅｒ", " viewer "):
        response = client.post("/accounts/login/", {"username": name, "password": PASSWORD})
        assert response.status_code == 403, name


def test_the_break_glass_superuser_still_signs_in(client, people, passwords_off):
    response = client.post("/accounts/login/", {"username": "root", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_the_backend_refuses_as_well(people, passwords_off):
    assert authenticate(username="viewer", password=PASSWORD) is None
    assert authenticate(username="root", password=PASSWORD) == people["root"]


def test_the_sign_in_page_puts_the_provider_first(client, passwords_off):
    page = client.get("/accounts/login/").content.decode()
    assert page.index("Sign in with Example SSO") < page.index("Local account (break-glass)")


def test_refusals_count_towards_the_lockout(client, people, passwords_off):
    from jobs.accounts.lockout import MAX_FAILURES_PER_USER

    for _ in range(MAX_FAILURES_PER_USER):
        client.post("/accounts/login/", {"username": "viewer", "password": PASSWORD})
    response = client.post("/accounts/login/", {"username": "viewer", "password": PASSWORD})
    assert response.status_code == 429


def test_passwords_on_is_the_default(client, people, settings):
    assert settings.LOCAL_PASSWORDS is True
    response = client.post("/accounts/login/", {"username": "viewer", "password": PASSWORD})
    assert response.status_code == 302
