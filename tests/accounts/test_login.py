"""Sign-in: audited, locked out after repeated failures, sessions that expire."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from jobs.tenants.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_counters():
    cache.clear()
    yield
    cache.clear()


def sign_in(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_login_and_logout_are_audited(client, people):
    assert sign_in(client, "viewer", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    sign_in(client, "viewer", "nope")
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "actor_name"))
    assert actions == [("login", "viewer"), ("logout", "viewer"), ("login_failed", "viewer")]
    assert AuditEvent.objects.filter(ip="127.0.0.1").count() == 3
    assert "nope" not in repr(list(AuditEvent.objects.values()))


def test_lockout_after_five_failures(client, people):
    for _ in range(5):
        assert sign_in(client, "viewer", "wrong").status_code == 400
    response = sign_in(client, "viewer", PASSWORD)  # even the right password
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="login_locked").count() == 1
    # other users are not locked out by someone hammering "viewer"
    assert sign_in(client, "admin", PASSWORD).status_code == 302


def test_sessions_expire():
    assert 0 < django_settings.SESSION_COOKIE_AGE <= 24 * 3600


def test_password_change_is_audited(client, people):
    client.force_login(people["viewer"])
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "n3w-Passphrase-42",
            "new_password2": "n3w-Passphrase-42",
        },
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="password_changed", actor_name="viewer").exists()
