"""Single sign-on through a real OpenID Connect provider on loopback (the code flow, with the
test client): people are created and mapped to tenant roles from their groups, sign-out reaches
the provider, failures are audited and count towards the lockout, nothing secret leaks."""

from __future__ import annotations

import logging
import socket
import sys
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.views.debug import ExceptionReporter

from jobs.accounts import oidc
from jobs.accounts.models import OidcIdentity
from jobs.tenants.models import AuditEvent, Membership

from .oidc_provider import CLIENT_ID, CLIENT_SECRET, authorize, person, query, running

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def issuer():
    with running() as url:
        yield url


@pytest.fixture
def sso(settings, issuer, tenant):
    settings.OIDC_ISSUER = issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_PROVIDER_NAME = "Example SSO"
    settings.OIDC_TIMEOUT = 5
    settings.OIDC_GROUP_ROLES = f"ops={tenant.slug}:admin, support={tenant.slug}:viewer, bad-entry"
    return issuer


def sign_in(client, sub: str, next_url: str = ""):
    """The whole code flow: our start link, the provider's form, back to our callback."""
    start = client.get("/accounts/oidc/start/" + (f"?next={next_url}" if next_url else ""))
    assert start.status_code == 302, start.content
    back = authorize(start["Location"], sub)
    parts = urlsplit(back)
    assert parts.path == "/accounts/oidc/callback/"
    return client.get(parts.path, query(back))


def test_the_sign_in_page_offers_the_provider(client, sso):
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Example SSO" in page
    assert 'href="/accounts/oidc/start/"' in page


def test_without_an_issuer_there_is_no_single_sign_on(client, settings):
    settings.OIDC_ISSUER = ""
    assert "Sign in with" not in client.get("/accounts/login/").content.decode()
    assert client.get("/accounts/oidc/start/").status_code == 404


def test_a_first_sign_in_creates_the_person_with_no_tenant(client, sso):
    person(sso, "sub-alice", email="alice@example.com", preferred_username="alice")
    response = sign_in(client, "sub-alice")
    assert response.status_code == 302 and response["Location"] == "/"
    user = get_user_model().objects.get(username="alice")
    assert user.email == "alice@example.com"
    assert not user.has_usable_password()
    assert not Membership.objects.filter(user=user).exists()
    assert OidcIdentity.objects.get(user=user).subject == "sub-alice"
    assert client.get("/").status_code == 200  # signed in
    login = AuditEvent.objects.filter(action="login", actor=user).get()
    assert login.detail == {"method": "oidc"}


def test_the_same_subject_is_the_same_person_and_takes_over_no_local_account(client, sso, people):
    # "viewer" is a local account: the provider's "viewer" is another person.
    person(sso, "sub-v", email="viewer@example.com", preferred_username="viewer")
    sign_in(client, "sub-v")
    created = get_user_model().objects.get(oidc_identities__subject="sub-v")
    assert created.username == "viewer-2" and created != people["viewer"]
    client.logout()
    sign_in(client, "sub-v")
    assert get_user_model().objects.filter(oidc_identities__subject="sub-v").count() == 1


def test_groups_map_to_tenant_roles_at_each_sign_in(client, sso, tenant):
    person(sso, "sub-bob", email="bob@example.com", preferred_username="bob", groups=["ops"])
    sign_in(client, "sub-bob")
    bob = get_user_model().objects.get(username="bob")
    assert Membership.objects.get(user=bob, tenant=tenant).role == "admin"
    assert client.get(f"/tenants/{tenant.slug}/members/").status_code == 200

    person(sso, "sub-bob", email="bob@example.com", preferred_username="bob", groups=["support"])
    client.logout()
    sign_in(client, "sub-bob")
    assert Membership.objects.get(user=bob, tenant=tenant).role == "viewer"
    assert client.get(f"/tenants/{tenant.slug}/members/").status_code == 403

    person(sso, "sub-bob", email="bob@example.com", preferred_username="bob", groups=[])
    client.logout()
    sign_in(client, "sub-bob")
    assert not Membership.objects.filter(user=bob, tenant=tenant).exists()
    assert client.get(f"/tenants/{tenant.slug}/jobs/").status_code == 404

    actions = list(
        AuditEvent.objects.filter(tenant=tenant, detail__via="oidc groups")
        .order_by("at", "id")
        .values_list("action", flat=True)
    )
    assert actions == ["member_added", "member_changed", "member_removed"]


def test_the_mapping_leaves_tenants_it_does_not_name_alone(client, sso, make_tenant):
    other = make_tenant(name="Other")
    person(sso, "sub-c", preferred_username="carol", groups=["ops"])
    sign_in(client, "sub-c")
    carol = get_user_model().objects.get(username="carol")
    Membership.objects.create(user=carol, tenant=other, role="operator")  # by hand
    client.logout()
    sign_in(client, "sub-c")
    assert Membership.objects.get(user=carol, tenant=other).role == "operator"


def test_the_group_mapping_is_read_as_documented():
    mapping = oidc.group_roles("ops=acme:admin, a=b=c=acme:viewer,x=acme:king,,y=beta:operator")
    assert mapping == {
        "ops": [("acme", "admin")],
        "a=b=c": [("acme", "viewer")],
        "y": [("beta", "operator")],
    }


def test_sign_out_ends_the_session_here_and_at_the_provider(client, sso):
    person(sso, "sub-d", preferred_username="dave")
    sign_in(client, "sub-d")
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    target = response["Location"]
    assert target.startswith(f"{sso}/oauth2/end_session?")
    hint = query(target)
    assert hint["post_logout_redirect_uri"] == "http://testserver/accounts/login/"
    assert hint["id_token_hint"].count(".") == 2  # the ID token we were given
    assert client.get("/").status_code == 302  # signed out here
    assert AuditEvent.objects.filter(action="logout").count() == 1


def test_a_password_sign_in_ends_only_here(client, sso, people):
    from tests.conftest import PASSWORD

    client.post("/accounts/login/", {"username": "viewer", "password": PASSWORD})
    assert client.post("/accounts/logout/")["Location"] == "/accounts/login/"


def test_a_refused_sign_in_is_audited_and_counts_towards_the_lockout(client, sso):
    from jobs.accounts.lockout import MAX_FAILURES_PER_IP

    for _ in range(MAX_FAILURES_PER_IP):
        response = client.get("/accounts/oidc/callback/", {"code": "x", "state": "forged"})
        assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    failed = AuditEvent.objects.filter(action="login_failed", detail__method="oidc")
    assert failed.count() == MAX_FAILURES_PER_IP
    assert client.get("/accounts/oidc/start/")["Location"] == "/accounts/login/"
    assert AuditEvent.objects.filter(action="login_locked", detail__method="oidc").count() == 1
    page = client.get("/accounts/login/").content.decode()
    assert "Too many failed sign-ins" in page


def test_a_code_used_twice_is_refused_without_a_500(client, sso):
    person(sso, "sub-e", preferred_username="erin")
    start = client.get("/accounts/oidc/start/")
    back = authorize(start["Location"], "sub-e")
    parts = urlsplit(back)
    assert client.get(parts.path, query(back))["Location"] == "/"
    client.logout()
    # The same code again, in a new sign-in (state known, code spent): the token endpoint says no.
    start = client.get("/accounts/oidc/start/")
    state = query(start["Location"])["state"]
    replay = client.get(parts.path, {"code": query(back)["code"], "state": state})
    assert replay.status_code == 302 and replay["Location"] == "/accounts/login/"
    event = AuditEvent.objects.filter(action="login_failed").latest("at")
    assert event.detail["reason"].startswith("token endpoint: HTTP 400")


@pytest.fixture
def silent_provider():
    """A port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


def test_a_silent_provider_is_given_up_on_at_the_deadline(client, sso, settings, silent_provider):
    settings.OIDC_ISSUER = silent_provider
    settings.OIDC_TIMEOUT = 0.6
    began = time.monotonic()
    response = client.get("/accounts/oidc/start/")
    assert time.monotonic() - began < 2
    assert response["Location"] == "/accounts/login/"
    event = AuditEvent.objects.get(action="login_failed")
    assert event.detail["reason"] == "the provider did not answer in time"
    assert "failed" in client.get("/accounts/login/").content.decode()


@pytest.fixture
def trickling_provider():
    """Answers its discovery document one byte every 0.1 s, never finishing: no single read
    waits long enough for a read timeout."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
                while not stop.is_set():
                    try:
                        conn.sendall(b"X")
                    except OSError:
                        break
                    time.sleep(0.1)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(2)
    server.close()


def test_a_trickling_provider_is_cut_at_the_deadline(client, sso, settings, trickling_provider):
    settings.OIDC_ISSUER = trickling_provider
    settings.OIDC_TIMEOUT = 1.0
    began = time.monotonic()
    response = client.get("/accounts/oidc/start/")
    assert time.monotonic() - began < 2.5
    assert response["Location"] == "/accounts/login/"
    event = AuditEvent.objects.get(action="login_failed")
    assert event.detail["reason"] == "the provider did not answer in time"


def test_no_client_secret_or_token_in_pages_logs_audit_or_error_reports(
    client, sso, caplog, rf, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    person(sso, "sub-f", preferred_username="frank", groups=["ops"])
    pages = [sign_in(client, "sub-f")]
    id_token = client.session[oidc.ID_TOKEN_SESSION_KEY]
    pages += [client.get(url) for url in ("/", "/accounts/preferences/", "/audit/")]
    pages.append(client.post("/accounts/logout/"))
    seen = (
        "".join(p.content.decode(errors="replace") + str(p.headers) for p in pages)
        + caplog.text
        + str(list(AuditEvent.objects.values_list("detail", flat=True)))
    )
    assert CLIENT_SECRET not in seen
    assert id_token not in "".join(p.content.decode(errors="replace") for p in pages)
    assert id_token not in caplog.text

    # An error inside the token exchange: the report never shows the client secret.
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(oidc, "call", broken)
    request = rf.get("/accounts/oidc/callback/", {"code": "c", "state": "s"})
    request.session = {}
    backend = oidc.OIDCBackend()
    try:
        backend.authenticate(request, nonce="n", code_verifier="v")
    except RuntimeError:
        report = ExceptionReporter(request, *sys.exc_info()).get_traceback_text()
    assert "boom" in report and "token_payload" in report
    assert CLIENT_SECRET not in report


def test_a_denied_sign_in_says_so_and_is_audited(client, sso):
    start = client.get("/accounts/oidc/start/")
    denied = requests.post(
        start["Location"], data={"action": "deny"}, allow_redirects=False, timeout=5
    )
    back = urlsplit(denied.headers["Location"])
    response = client.get(back.path, query(denied.headers["Location"]))
    assert response["Location"] == "/accounts/login/"
    event = AuditEvent.objects.get(action="login_failed")
    assert event.detail == {"method": "oidc", "reason": "the provider refused (access_denied)"}
    assert "Sign-in with Example SSO failed" in client.get("/accounts/login/").content.decode()
    assert client.get("/").status_code == 302


def test_an_inactive_person_cannot_sign_in(client, sso):
    person(sso, "sub-i", preferred_username="ivan")
    sign_in(client, "sub-i")
    client.logout()
    get_user_model().objects.filter(username="ivan").update(is_active=False)
    assert sign_in(client, "sub-i")["Location"] == "/accounts/login/"
    assert AuditEvent.objects.get(action="login_failed").detail["reason"] == (
        "the account is inactive"
    )


def test_a_person_from_the_provider_is_not_offered_a_password_change(client, sso):
    person(sso, "sub-p", preferred_username="pat")
    sign_in(client, "sub-p")
    page = client.get("/accounts/preferences/").content.decode()
    assert "API tokens" in page and "Change password" not in page
