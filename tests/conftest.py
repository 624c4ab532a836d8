"""Shared fixtures: one DRS simulator over real HTTP for the session, clients that talk to it."""

from __future__ import annotations

import pytest

from jobs.drs import (
    AccessKeyCredentials,
    ClientSettings,
    DrsClient,
    PasswordCredentials,
    TokenCache,
)
from jobs.simulator import Simulator, SimulatorConfig

# Short timeouts and waits keep fault tests quick; the retry logic is the same.
FAST = ClientSettings(
    connect_timeout=1.0, read_timeout=1.0, deadline=4.0, backoff=0.05, throttle_wait=0.05
)


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
def token_client(simulator, simulator_config, password_credentials, token_cache) -> DrsClient:
    return DrsClient.with_password(
        project_id=simulator_config.project_id,
        drs_endpoint=simulator.url,
        iam_endpoint=simulator.url,
        credentials=password_credentials,
        settings=FAST,
        cache=token_cache,
    )


@pytest.fixture
def aksk_client(simulator, simulator_config, access_key_credentials) -> DrsClient:
    return DrsClient.with_access_key(
        project_id=simulator_config.project_id,
        drs_endpoint=simulator.url,
        credentials=access_key_credentials,
        settings=FAST,
    )


@pytest.fixture(params=["token", "aksk"])
def client(request) -> DrsClient:
    """Each test using it runs once per authentication method."""
    return request.getfixturevalue(f"{request.param}_client")
