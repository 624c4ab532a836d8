"""With DJANGO_DEBUG on, an internal error during a DRS or IAM call shows Django's debug page to
whoever made the request (a viewer, say). It must hold no password, secret key or token."""

from __future__ import annotations

import pytest
import requests.adapters
from django.test import Client

from jobs.drs.auth import TOKENS
from tests.conftest import tenant_form
from tests.security.test_secret_scan import TOKEN_SHAPE
from tests.support import EXAMPLE_ID

pytestmark = pytest.mark.django_db

TYPED_PASSWORD = "Typed-Pw-0a1b2c3d4e5f6"
TYPED_SECRET_KEY = "TypedSK0a1b2c3d4e5f60718293a4b5c6d7e8f9"


@pytest.fixture
def debug(settings):
    settings.DEBUG = True
    TOKENS.clear()
    yield
    TOKENS.clear()


def fail_on(monkeypatch, path_part: str):
    """Every outbound request whose URL contains `path_part` raises a non-DRS error (a bug)."""
    real = requests.adapters.HTTPAdapter.send
    seen = {"tokens": []}

    def send(self, request, **kwargs):
        if path_part in request.url:
            raise RuntimeError("forced internal failure")
        response = real(self, request, **kwargs)
        if "X-Subject-Token" in response.headers:
            seen["tokens"].append(response.headers["X-Subject-Token"])
        return response

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    return seen


def debug_client(people, who: str) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(people[who])
    return client


def assert_clean(body: str, *secrets: str) -> None:
    assert "forced internal failure" in body and "Local vars" in body  # the debug page it is
    for secret in secrets:
        assert secret not in body
    assert not TOKEN_SHAPE.search(body)


def test_iam_call_failure_on_job_page(debug, monkeypatch, people, tenant, simulator_config):
    fail_on(monkeypatch, "/v3/auth/tokens")
    response = debug_client(people, "viewer").get(f"/tenants/{tenant.slug}/jobs/{EXAMPLE_ID}/")
    assert response.status_code == 500
    assert_clean(response.content.decode(), simulator_config.iam_users[0][2])


def test_drs_call_failure_hides_the_token(debug, monkeypatch, people, tenant, simulator_config):
    seen = fail_on(monkeypatch, "backup-migration-jobs")
    response = debug_client(people, "viewer").get(f"/tenants/{tenant.slug}/jobs/{EXAMPLE_ID}/")
    assert response.status_code == 500
    assert seen["tokens"], "no token was fetched: the test proves nothing"
    assert_clean(response.content.decode(), simulator_config.iam_users[0][2], *seen["tokens"])


@pytest.mark.parametrize("auth", ["password", "aksk"])
def test_connection_test_failure_hides_typed_secrets(
    debug, monkeypatch, people, make_tenant, simulator_config, auth
):
    tenant = make_tenant(name=f"Debug {auth}", auth=auth)
    fail_on(monkeypatch, "/v3/auth/tokens" if auth == "password" else "backup-migration-jobs")
    secret = {"password": TYPED_PASSWORD} if auth == "password" else {}
    secret = secret or {"secret_key": TYPED_SECRET_KEY}
    client = debug_client(people, "root")
    session_cookie = client.cookies["sessionid"].value
    response = client.post(
        f"/tenants/{tenant.slug}/test-connection/",
        tenant_form(tenant, **secret),
        HTTP_AUTHORIZATION="Bearer top-secret-bearer",
        HTTP_X_AUTH_TOKEN="top-secret-header-token",
    )
    assert response.status_code == 500
    stored = next(iter(simulator_config.access_keys.values()))
    assert_clean(
        response.content.decode(),
        TYPED_PASSWORD,
        TYPED_SECRET_KEY,
        stored,
        simulator_config.iam_users[0][2],
        "top-secret-bearer",
        "top-secret-header-token",
        session_cookie,
    )
