"""A real OpenID Connect provider on loopback for the tests: oidc-provider-mock (authlib + Flask),
in a thread. Any client id and secret are accepted; people are set with `person()`."""

from __future__ import annotations

import contextlib
from urllib.parse import parse_qs, quote, urlsplit

import requests

CLIENT_ID = "drs-dashboard-tests"
CLIENT_SECRET = "client-secret-for-tests-0b9d1c3e"


@contextlib.contextmanager
def running():
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


def person(issuer: str, sub: str, **claims) -> None:
    """What the provider says about `sub` from now on (its claims, groups included)."""
    response = requests.put(f"{issuer}/users/{quote(sub, safe='')}", json=claims, timeout=5)
    assert response.status_code == 204, response.text


def authorize(authorize_url: str, sub: str) -> str:
    """The person `sub` approves the sign-in on the provider's form: where it sends them back."""
    response = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
