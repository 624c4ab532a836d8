"""The client's address comes from X-Forwarded-For only through DASHBOARD_TRUSTED_PROXIES of
ours: otherwise anyone could write it, and behind a proxy everyone shares the proxy's address."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory

from jobs.tenants.audit import client_ip
from jobs.tenants.models import AuditEvent
from tests.conftest import PASSWORD

PROXY = "10.0.0.5"


@pytest.fixture(autouse=True)
def _clear_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize(
    "trusted,forwarded,expected",
    [
        (0, "203.0.113.7", PROXY),  # the default: the header is ignored
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the left one is the client's claim
        (2, "198.51.100.1, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        (2, "203.0.113.7", PROXY),  # fewer hops than proxies: not through ours
        (1, "not-an-address", PROXY),
        (1, "", PROXY),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip(settings, trusted, forwarded, expected):
    settings.DASHBOARD_TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def sign_in(client_address: str, username: str, password: str):
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)
    return client.post("/accounts/login/", {"username": username, "password": password})


@pytest.mark.django_db
def test_behind_a_proxy_one_attacker_cannot_lock_everyone_out(settings, people):
    settings.DASHBOARD_TRUSTED_PROXIES = 1
    for n in range(25):
        sign_in("203.0.113.66", f"nobody{n}", "wrong")
    assert sign_in("203.0.113.66", "admin", PASSWORD).status_code == 429  # the attacker is
    assert sign_in("198.51.100.20", "viewer", PASSWORD).status_code == 302  # others are not
    ips = set(AuditEvent.objects.values_list("ip", flat=True))
    assert ips == {"203.0.113.66", "198.51.100.20"}


@pytest.mark.django_db
def test_without_trusted_proxies_the_header_is_ignored(people):
    for n in range(20):
        sign_in(f"203.0.113.{n}", f"nobody{n}", "wrong")  # a new claimed address each time
    assert sign_in("198.51.100.20", "viewer", PASSWORD).status_code == 429
    assert set(AuditEvent.objects.values_list("ip", flat=True)) == {PROXY}
