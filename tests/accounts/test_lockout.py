"""The sign-in lockout cannot be walked around: every spelling of a username that signs in as
`viewer` shares its lockout, and parallel guesses are counted before the password is checked."""

from __future__ import annotations

import threading
import time

import pytest
from django.contrib.auth import forms as auth_forms
from django.core.cache import cache
from django.db import connection
from django.test import Client

from jobs.tenants.models import AuditEvent
from tests.conftest import PASSWORD
from tests.support import run_in_threads


@pytest.fixture(autouse=True)
def _clear_counters():
    cache.clear()
    yield
    cache.clear()


def sign_in(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


@pytest.mark.django_db
@pytest.mark.parametrize("spelling", ["ｖｉｅｗｅｒ", "VIEWER", " viewer ", "Viewer"])
def test_other_spellings_share_the_lockout(client, people, spelling):
    for _ in range(5):
        sign_in(client, "viewer", "wrong")
    response = sign_in(client, spelling, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_full_width_failures_lock_the_plain_name(client, people):
    for _ in range(5):
        sign_in(client, "ｖｉｅｗｅｒ", "wrong")
    assert sign_in(client, "viewer", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_successful_sign_ins_do_not_use_up_attempts(people):
    for _ in range(8):
        client = Client()
        assert sign_in(client, "viewer", PASSWORD).status_code == 302
    for _ in range(4):
        sign_in(Client(), "viewer", "wrong")
    assert sign_in(Client(), "viewer", PASSWORD).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_are_counted_before_the_check(people, monkeypatch):
    checks, lock = [], threading.Lock()
    real = auth_forms.authenticate

    def slow_authenticate(request=None, **credentials):
        with lock:
            checks.append(credentials.get("username"))
        time.sleep(0.3)  # a slow hash: what gave parallel guesses their window
        return real(request, **credentials)

    monkeypatch.setattr(auth_forms, "authenticate", slow_authenticate)
    statuses = []
    start = threading.Barrier(18)

    def guess(n: int) -> None:
        try:
            start.wait()
            statuses.append(sign_in(Client(), "viewer", f"wrong-{n}").status_code)
        finally:
            connection.close()

    run_in_threads([lambda n=n: guess(n) for n in range(18)], timeout=30)
    assert len(statuses) == 18
    assert len(checks) <= 5, f"{len(checks)} passwords checked"
    assert statuses.count(429) >= 13
    assert AuditEvent.objects.filter(action="login_locked").count() >= 13
