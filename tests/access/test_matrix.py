"""Each URL, for each kind of person, gets the expected status. Unlisted URLs fail the suite."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs.api import tokens
from jobs.api.models import ApiToken
from jobs.tenants import access
from jobs.tenants.models import Membership
from tests.support import EXAMPLE_ID

PEOPLE = ("anonymous", "outsider", "viewer", "operator", "admin", "root")
LOGIN = 302  # to the sign-in page

# name: (method, {person: status}); people left out get the `others` entry.
SIGNED_IN = {"anonymous": LOGIN, "others": 200}
TENANT_READ = {"anonymous": LOGIN, "outsider": 404, "others": 200}
TENANT_ADMIN = {"anonymous": LOGIN, "outsider": 404, "viewer": 403, "operator": 403}
# Job actions, with the tenant's actions off (the default): members above viewers get the
# "actions are off" page, 403 too; ACTIONS_ON below has them on.
TENANT_OPERATOR = {"anonymous": LOGIN, "outsider": 404, "viewer": 403, "others": 403}
SUPERUSER = {"anonymous": LOGIN, "root": None, "others": 404}

EXPECTED: dict[str, tuple[str, dict]] = {
    "healthz": ("GET", {"others": 200}),
    "metrics": ("GET", {"others": 200}),  # the test client is on loopback; see tests/sync
    "sync_status": ("GET", {**SUPERUSER, "root": 200}),
    "login": ("GET", {"others": 200}),
    "logout": ("POST", {"others": 302}),
    "password_change": ("GET", SIGNED_IN),
    "password_change_done": ("GET", SIGNED_IN),
    "home": ("GET", SIGNED_IN),
    "tenant_list": ("GET", SIGNED_IN),
    "audit_log": ("GET", {"anonymous": LOGIN, "admin": 200, "root": 200, "others": 404}),
    "tenant_create": ("GET", {**SUPERUSER, "root": 200}),
    "tenant_test_connection_new": ("POST", {**SUPERUSER, "root": 200}),
    "tenant_delete": ("POST", {**SUPERUSER, "root": 302}),
    "tenant_detail": ("GET", TENANT_READ),
    "tenant_edit": ("GET", {**TENANT_ADMIN, "others": 200}),
    "tenant_test_connection": ("POST", {**TENANT_ADMIN, "others": 200}),
    "tenant_members": ("GET", {**TENANT_ADMIN, "others": 200}),
    "tenant_member": ("POST", {**TENANT_ADMIN, "others": 302}),
    "preferences": ("GET", SIGNED_IN),
    "job_lookup": ("GET", {"anonymous": LOGIN, "others": 400}),  # no text given: 400 + message
    "tenant_search": ("GET", SIGNED_IN),  # only the person's own tenants
    "job_detail": ("GET", TENANT_READ),
    "job_error_log": ("GET", TENANT_READ),
    "job_files": ("GET", TENANT_READ),
    "failures": ("GET", SIGNED_IN),  # shows only the person's own tenants
    "job_list": ("GET", TENANT_READ),
    "migrations": ("GET", SIGNED_IN),  # only the person's own tenants
    "tenant_migrations": ("GET", TENANT_READ),
    "migration_detail": ("GET", TENANT_READ),
    "tenant_actions": ("POST", {**TENANT_ADMIN, "others": 302}),
    "job_create": ("GET", TENANT_OPERATOR),
    "jobs_delete": ("POST", TENANT_OPERATOR),
    "job_rename": ("GET", TENANT_OPERATOR),
    "job_tags": ("POST", TENANT_OPERATOR),
    "job_delete": ("GET", TENANT_OPERATOR),
    "notify_mine": ("GET", SIGNED_IN),
    "notify_settings": ("GET", {**TENANT_ADMIN, "others": 200}),
    "notify_channel_create": ("POST", {**TENANT_ADMIN, "others": 400}),  # empty form: errors
    "notify_channel_test": ("POST", {**TENANT_ADMIN, "others": 302}),
    "notify_channel_delete": ("POST", {**TENANT_ADMIN, "others": 302}),
    "notify_rule_create": ("POST", {**TENANT_ADMIN, "others": 400}),  # empty form: errors
    "notify_rule_delete": ("POST", {**TENANT_ADMIN, "others": 302}),
    "notify_deliveries": ("GET", {**TENANT_ADMIN, "others": 200}),
    "notify_watch": ("POST", {"anonymous": LOGIN, "outsider": 404, "others": 302}),
    "account_email": ("GET", SIGNED_IN),
    "account_email_confirm": ("GET", {"anonymous": LOGIN, "others": 400}),  # a bad token
    "password_reset": ("GET", {"others": 200}),
    "password_reset_done": ("GET", {"others": 200}),
    "password_reset_confirm": ("GET", {"others": 200}),  # a bad link: says so
    "password_reset_complete": ("GET", {"others": 200}),
    "people": ("GET", {"anonymous": LOGIN, "admin": 200, "root": 200, "others": 404}),
    "people_invite": ("POST", {"anonymous": LOGIN, "admin": 400, "root": 400, "others": 404}),
    # the viewer: the admin manages them (302); others cannot see them
    "person_action": ("POST", {"anonymous": LOGIN, "admin": 302, "root": 302, "others": 404}),
    # Single sign-on is off in the tests' settings (tests/accounts/test_oidc.py turns it on).
    "oidc_start": ("GET", {"others": 404}),
    "oidc_callback": ("GET", {"others": 404}),
    "api_tokens": ("GET", SIGNED_IN),
    # The viewer's own token: others cannot tell it exists.
    "api_token_revoke": ("POST", {"anonymous": LOGIN, "viewer": 302, "others": 404}),
    "tenant_tokens": ("GET", {**TENANT_ADMIN, "others": 200}),
    "tenant_token_revoke": ("POST", {**TENANT_ADMIN, "others": 302}),
    # The API takes bearer tokens only: a session cookie opens nothing (test_api_matrix below).
    "openapi-json": ("GET", {"others": 200}),
    "openapi-view": ("GET", {"others": 200}),
    "api-root": ("GET", {"others": 404}),
    **{
        name: ("GET", {"others": 401})
        for name in ("api_tenants", "api_tenant", "api_jobs", "api_job", "api_sync", "api_failures")
    },
}

# /api/v1/ with each person's token; `revoked` and `expired` are the viewer's.
API_PEOPLE = (*PEOPLE, "revoked", "expired")
NO_TOKEN = {"anonymous": 401, "revoked": 401, "expired": 401}
API_TENANT = {**NO_TOKEN, "outsider": 404, "others": 200}
API_EXPECTED: dict[str, dict] = {
    "openapi-json": {"others": 200},
    "openapi-view": {"others": 200},
    "api-root": {"others": 404},
    "api_tenants": {**NO_TOKEN, "others": 200},
    "api_failures": {**NO_TOKEN, "others": 200},
    "api_tenant": API_TENANT,
    "api_jobs": API_TENANT,
    "api_job": API_TENANT,  # the live read, from the simulator
    "api_sync": API_TENANT,
}


def expected_status(name: str, person: str) -> int:
    table = EXPECTED[name][1]
    return table.get(person, table.get("others"))


def url_for(route: str, tenant, people) -> str:
    membership = Membership.objects.get(user=people["viewer"], tenant=tenant)
    channel = (
        _log_channel(tenant) if "<int:channel_id>" in route or "<int:rule_id>" in route else None
    )
    token = tokens.create(people["viewer"], "matrix")[0] if "<int:token_id>" in route else None
    if "<str:database>" in route:
        _matrix_chain(tenant)
    return "/" + (
        route.replace("<str:instance>", "i-matrix")
        .replace("<str:database>", "Matrix")
        .replace("<slug:slug>", tenant.slug)
        .replace("<slug>", tenant.slug)
        .replace("<job_id>", EXAMPLE_ID)
        .replace("<int:token_id>", str(token.pk if token else 0))
        .replace("<int:member_id>", str(membership.pk))
        .replace("<job_id:job_id>", EXAMPLE_ID)
        .replace("<int:channel_id>", str(channel.pk if channel else 0))
        .replace("<int:rule_id>", str(channel.rules.first().pk if channel else 0))
        .replace("<int:user_id>", str(people["viewer"].pk))
        .replace("<str:token>", "not-a-token")
        .replace("<uidb64>/<token>", "MQ/bad-token")
    )


def _matrix_chain(tenant):
    """A database's migration for the migration page to show."""
    from jobs.mirror.models import Chain

    Chain.objects.get_or_create(
        tenant=tenant,
        target_instance_id="i-matrix",
        database="Matrix",
        defaults={"state": "online", "updated_at": timezone.now()},
    )


def _log_channel(tenant):
    """A channel (and a rule) that sends to the server log: its test button answers at once."""
    from jobs.notify import services

    channel, _ = services.add_channel(tenant, "log", "log://", actor_name="test")
    services.add_rule(tenant, "failed", channel, actor_name="test")
    return channel


def test_every_url_is_in_the_matrix():
    names = {pattern.name for _, pattern in access.all_routes()}
    assert names == set(EXPECTED), "add new URLs to EXPECTED with their policy"


def test_every_view_declares_a_policy():
    assert access.views_without_policy() == []


def test_a_view_without_policy_is_reported(monkeypatch):
    from jobs.views import tenants

    monkeypatch.delattr(tenants.tenant_detail, access.POLICY_ATTR)
    assert any("tenant_detail" in line for line in access.views_without_policy())


@pytest.mark.django_db
@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize(("route", "name"), [(r, p.name) for r, p in access.all_routes()])
def test_matrix(route, name, person, login, tenant, people):
    client = login(person)
    method, _ = EXPECTED[name]
    url = url_for(route, tenant, people)
    response = client.post(url, {}) if method == "POST" else client.get(url)
    assert response.status_code == expected_status(name, person), (name, person)


# With the tenant's actions on: what operators and above get (an empty POST is refused 400).
ACTIONS_ON: dict[str, dict] = {
    "job_create": {**TENANT_OPERATOR, "others": 200},
    "jobs_delete": {**TENANT_OPERATOR, "others": 400},  # nothing selected
    "job_rename": {**TENANT_OPERATOR, "others": 200},
    "job_tags": {**TENANT_OPERATOR, "others": 400},  # no tags given
    "job_delete": {**TENANT_OPERATOR, "others": 200},  # the confirmation page
}


@pytest.mark.django_db
@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize(
    ("route", "name"), [(r, p.name) for r, p in access.all_routes() if p.name in ACTIONS_ON]
)
def test_action_matrix_with_actions_on(route, name, person, login, tenant, people):
    tenant.actions_enabled = True
    tenant.save()
    client = login(person)
    method, _ = EXPECTED[name]
    url = url_for(route, tenant, people)
    response = client.post(url, {}) if method == "POST" else client.get(url)
    table = ACTIONS_ON[name]
    assert response.status_code == table.get(person, table.get("others")), (name, person)


def test_every_action_url_is_in_the_actions_on_matrix():
    names = {
        p.name for r, p in access.all_routes() if p.callback.__module__ == "jobs.views.actions"
    }
    assert names == set(ACTIONS_ON)


def test_every_api_url_is_in_the_api_matrix():
    names = {p.name for route, p in access.all_routes() if route.startswith("api/v1/")}
    assert names == set(API_EXPECTED)


def _bearer(who: str, people) -> dict:
    """The Authorization header of `who`'s token (none for anonymous)."""
    if who == "anonymous":
        return {}
    owner = people["viewer"] if who in ("revoked", "expired") else people[who]
    token, secret = tokens.create(owner, f"matrix-{who}")
    if who == "revoked":
        tokens.revoke(token, via="test")
    if who == "expired":
        ApiToken.objects.filter(pk=token.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.mark.django_db
@pytest.mark.parametrize("person", API_PEOPLE)
@pytest.mark.parametrize(
    ("route", "name"), [(r, p.name) for r, p in access.all_routes() if r.startswith("api/v1/")]
)
def test_api_matrix(route, name, person, client, tenant, people):
    response = client.get(url_for(route, tenant, people), **_bearer(person, people))
    table = API_EXPECTED[name]
    assert response.status_code == table.get(person, table.get("others")), (name, person)
    if route not in ("api/v1/docs",):
        body = response.json() if response.status_code != 404 or name != "api-root" else None
        if response.status_code >= 400 and body is not None:
            assert set(body["error"]) >= {"code", "message"}, body


def test_an_api_operation_without_policy_is_reported(monkeypatch):
    route, pattern = next((r, p) for r, p in access.all_routes() if p.name == "api_jobs")
    monkeypatch.delattr(pattern.callback, access.POLICY_ATTR)
    assert any(line.startswith(route) for line in access.views_without_policy())


def test_api_operations_declare_the_policies_they_enforce():
    from jobs.api.v1 import POLICIES

    tenant_scoped = {name for name, marker in POLICIES.items() if "{slug}" in _path_of(name)}
    assert all(POLICIES[name] == "token:tenant:viewer" for name in tenant_scoped)
    assert tenant_scoped == {"api_tenant", "api_jobs", "api_job", "api_sync"}


def _path_of(name: str) -> str:
    from jobs.api.v1 import api

    for _prefix, router in api._routers:
        for path, view in router.path_operations.items():
            if any(op.url_name == name for op in view.operations):
                return path
    return ""
