"""Shared fixtures: one DRS simulator over real HTTP for the session, clients that talk to it."""

from __future__ import annotations

import os

import pytest

from jobs.drs import (
    AccessKeyCredentials,
    ClientSettings,
    DrsClient,
    PasswordCredentials,
    TokenCache,
)
from jobs.simulator import Simulator, SimulatorConfig

# The tests' tenants point at the simulator on loopback: custom endpoints are an explicit opt-in
# (off by default). The variable reaches the CLI subprocesses; the fixture below, this process.
os.environ.setdefault("DRS_ALLOW_CUSTOM_ENDPOINTS", "1")

# Short timeouts and waits keep fault tests quick; the retry logic is the same.
FAST = ClientSettings(
    connect_timeout=1.0, read_timeout=1.0, deadline=4.0, backoff=0.05, throttle_wait=0.05
)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _custom_endpoints(settings):
    """The tests' tenants point at the simulator on loopback: an explicit opt-in (off by
    default); tests of the endpoint guard turn it off again."""
    settings.DRS_ALLOW_CUSTOM_ENDPOINTS = True


@pytest.fixture(autouse=True)
def _empty_cache():
    """Cached job results and sign-in counters never leak from one test into another."""
    from django.core.cache import cache

    from jobs.upstream.iam_tokens import SHARED_TOKENS

    cache.clear()
    SHARED_TOKENS.clear()  # the process's copy of the shared IAM tokens, too
    yield
    cache.clear()
    SHARED_TOKENS.clear()


@pytest.fixture(scope="session")
def simulator_config() -> SimulatorConfig:
    return SimulatorConfig(bulk_jobs=120, live_jobs=2)


@pytest.fixture(scope="session")
def simulator_server(simulator_config):
    server = Simulator(simulator_config).start()
    yield server
    server.stop()


@pytest.fixture
def simulator(simulator_server):
    """The shared simulator with no faults, fresh counters and valid tokens."""
    simulator_server.clear_faults()
    simulator_server.reset_counters()
    yield simulator_server
    simulator_server.clear_faults()


@pytest.fixture
def token_cache() -> TokenCache:
    return TokenCache()


@pytest.fixture
def password_credentials(simulator_config) -> PasswordCredentials:
    domain, user, password = simulator_config.iam_users[0]
    return PasswordCredentials(domain, user, password)


@pytest.fixture
def access_key_credentials(simulator_config) -> AccessKeyCredentials:
    access_key, secret_key = next(iter(simulator_config.access_keys.items()))
    return AccessKeyCredentials(access_key, secret_key)


@pytest.fixture
def make_client(
    simulator, simulator_config, password_credentials, access_key_credentials, token_cache
):
    """make_client("token" | "aksk", **overrides) → a DrsClient on the simulator with FAST
    settings (and, for a token, the test's token cache); `overrides` replace any argument of
    DrsClient.with_password / with_access_key (settings, credentials, project_id, endpoints)."""

    def make(auth: str = "token", **overrides) -> DrsClient:
        arguments = {
            "project_id": simulator_config.project_id,
            "drs_endpoint": simulator.url,
            "settings": FAST,
        }
        if auth == "token":
            arguments.update(
                iam_endpoint=simulator.url, credentials=password_credentials, cache=token_cache
            )
            return DrsClient.with_password(**{**arguments, **overrides})
        arguments.update(credentials=access_key_credentials)
        return DrsClient.with_access_key(**{**arguments, **overrides})

    return make


@pytest.fixture
def token_client(make_client) -> DrsClient:
    return make_client("token")


@pytest.fixture
def aksk_client(make_client) -> DrsClient:
    return make_client("aksk")


@pytest.fixture(params=["token", "aksk"])
def drs_client(request) -> DrsClient:
    """Each test using it runs once per authentication method."""
    return request.getfixturevalue(f"{request.param}_client")


def tenant_form(tenant, **changes) -> dict:
    """What the tenant form posts for `tenant`, secrets left empty, with `changes` on top."""
    return {
        "name": tenant.name,
        "region": tenant.region,
        "project_id": tenant.project_id,
        "auth_method": tenant.auth_method,
        "iam_domain": tenant.iam_domain,
        "iam_user": tenant.iam_user,
        "access_key": tenant.access_key,
        "language": tenant.language,
        "enterprise_project_id": tenant.enterprise_project_id,
        "drs_endpoint": tenant.drs_endpoint,
        "iam_endpoint": tenant.iam_endpoint,
        "password": "",
        "secret_key": "",
        **changes,
    }


# -- people and tenants (the healthchecks alice/bob/charlie pattern, one user per role) ---------

PASSWORD = "correct-horse-battery-staple"
ROLES = ("viewer", "operator", "admin")


@pytest.fixture
def make_tenant(simulator, simulator_config, db):
    from jobs.tenants.models import Tenant

    def make(name="Acme", auth="password", **fields) -> Tenant:
        domain, user, password = simulator_config.iam_users[0]
        access_key, secret_key = next(iter(simulator_config.access_keys.items()))
        tenant = Tenant(
            name=name,
            region="ap-southeast-3",
            project_id=simulator_config.project_id,
            drs_endpoint=simulator.url,
            iam_endpoint=simulator.url,
            auth_method=auth,
            iam_domain=domain if auth == "password" else "",
            iam_user=user if auth == "password" else "",
            access_key=access_key if auth == "aksk" else "",
        )
        for key, value in fields.items():
            setattr(tenant, key, value)
        if auth == "password":
            tenant.password = fields.get("password", password)
        else:
            tenant.secret_key = fields.get("secret_key", secret_key)
        tenant.save()
        return tenant

    return make


@pytest.fixture
def tenant(make_tenant):
    return make_tenant()


@pytest.fixture
def people(tenant, django_user_model):
    """root (superuser), one member per role in `tenant`, and charlie the outsider."""
    from jobs.tenants.models import Membership

    users = {"anonymous": None}
    users["root"] = django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    for role in ROLES:
        user = django_user_model.objects.create_user(role, f"{role}@example.com", PASSWORD)
        Membership.objects.create(user=user, tenant=tenant, role=role)
        users[role] = user
    users["outsider"] = django_user_model.objects.create_user("charlie", "c@example.com", PASSWORD)
    return users


@pytest.fixture
def login(client, people):
    """login("viewer") → the test client, signed in as that person."""

    def sign_in(who: str):
        client.logout()
        if people[who] is not None:
            client.force_login(people[who])
        return client

    return sign_in
