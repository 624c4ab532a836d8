"""Custom endpoints must be https service hosts on the cloud's domains, resolving to public
addresses, unless DRS_ALLOW_CUSTOM_ENDPOINTS is on (an explicit opt-in: off by default, on for
the demo and the tests)."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from jobs.tenants import endpoints as guard
from jobs.tenants.endpoints import EndpointRefused, endpoint_problem
from jobs.upstream.client import client_for
from tests.security.test_headers import ROOT, production_env

PUBLIC = "159.138.0.10"


@pytest.fixture
def dns(monkeypatch):
    """Name resolution under the test's control: {host: [addresses]}; others are public."""
    answers: dict[str, list[str]] = {}
    guard._resolved.clear()

    def getaddrinfo(host, port, *args, **kwargs):
        addresses = answers.get(host, [PUBLIC])
        if not addresses:
            raise socket.gaierror("no such name")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    monkeypatch.setattr(guard.socket, "getaddrinfo", getaddrinfo)
    yield answers
    guard._resolved.clear()


@pytest.fixture
def guarded(settings, dns):
    settings.DRS_ALLOW_CUSTOM_ENDPOINTS = False
    return dns


@pytest.mark.parametrize(
    "url",
    [
        "http://drs.ap-southeast-3.myhuaweicloud.com",
        "https://169.254.169.254/latest",
        "https://127.0.0.1:8001",
        "https://localhost",
        "https://evil.example.com",
        "https://myhuaweicloud.com.evil.example",
        "https://user:pw@drs.ap-southeast-3.myhuaweicloud.com",
        # only the exact service host shapes
        "https://drs.myhuaweicloud.com",
        "https://drs.internal.ap-southeast-3.myhuaweicloud.com",
        "https://iam-admin.myhuaweicloud.com",
        "https://drs.evil.myhuaweicloud.com",
        "https://obs.ap-southeast-3.myhuaweicloud.com",
        "https://myhuaweicloud.com",
        "https://iam.x.y.myhuaweicloud.com",
        "https://drs.ap-southeast-3.myhuaweicloud.com:8443",
        "https://drs.ap-southeast-3.myhuaweicloud.com.",
        "https://iam.huaweicloud.com.evil.example",
    ],
)
def test_refused_when_custom_endpoints_are_off(guarded, url):
    assert endpoint_problem(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://drs.ap-southeast-3.myhuaweicloud.com",
        "https://drs.eu-west-101.myhuaweicloud.eu",
        "https://iam.myhuaweicloud.com",
        "https://iam.cn-north-4.myhuaweicloud.com",
        "https://DRS.AP-SOUTHEAST-3.MYHUAWEICLOUD.COM:443/",
        "",
    ],
)
def test_cloud_endpoints_allowed(guarded, url):
    assert endpoint_problem(url) is None


@pytest.mark.parametrize(
    "addresses",
    [
        ["127.0.0.1"],
        ["10.1.2.3"],
        ["192.168.0.1"],
        ["169.254.169.254"],
        ["::1"],
        ["fe80::1"],
        ["fd00::1"],
        ["::ffff:10.0.0.1"],
        ["0.0.0.0"],  # noqa: S104
        ["100.64.0.1"],
        [PUBLIC, "10.0.0.2"],
    ],
)
def test_names_resolving_to_internal_addresses_are_refused(guarded, addresses):
    host = "drs.ap-southeast-3.myhuaweicloud.com"
    guarded[host] = addresses
    assert "internal address" in endpoint_problem(f"https://{host}")


def test_allowed_when_the_setting_is_on(settings):
    settings.DRS_ALLOW_CUSTOM_ENDPOINTS = True
    assert endpoint_problem("http://127.0.0.1:8001") is None


@pytest.mark.parametrize("debug", ["0", "1"])
def test_off_by_default_with_debug_too(debug):
    """Not from the settings fixture (the tests opt in): a fresh process, no DRS_* variables."""
    code = "from django.conf import settings; print('ALLOW', settings.DRS_ALLOW_CUSTOM_ENDPOINTS)"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env={**production_env(), "DJANGO_DEBUG": debug},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "ALLOW False" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("allow", [False, True])
@pytest.mark.parametrize(
    "url", ["https://drs.ap-southeast-3.myhuaweicloud.com:99999", "http://127.0.0.1:70000/"]
)
def test_a_port_out_of_range_is_a_form_error(settings, dns, login, people, simulator, allow, url):
    settings.DRS_ALLOW_CUSTOM_ENDPOINTS = allow
    response = login("root").post(
        "/tenants/new/",
        {
            "name": "X",
            "region": "ap-southeast-3",
            "project_id": "p1",
            "auth_method": "aksk",
            "access_key": "AK",
            "secret_key": "SK",
            "language": "en-us",
            "drs_endpoint": url,
        },
    )
    assert response.status_code == 400
    assert "drs_endpoint" in response.context["form"].errors


@pytest.mark.django_db
def test_form_and_client_both_refuse(guarded, login, people, tenant, simulator):
    with pytest.raises(EndpointRefused):
        client_for(tenant)  # a tenant stored while the setting was on is not called either
    response = login("root").post(
        "/tenants/new/",
        {
            "name": "X",
            "region": "ap-southeast-3",
            "project_id": "p1",
            "auth_method": "aksk",
            "access_key": "AK",
            "secret_key": "SK",
            "language": "en-us",
            "drs_endpoint": "http://10.0.0.1/",
        },
    )
    assert response.status_code == 400
    assert "must use https" in response.content.decode()
    assert simulator.calls() == 0
