"""Custom endpoints must be https on the cloud's domains unless DRS_ALLOW_CUSTOM_ENDPOINTS is on."""

from __future__ import annotations

import pytest

from jobs.tenant_client import EndpointRefused, client_for, endpoint_problem


@pytest.mark.parametrize(
    "url",
    ["http://drs.ap-southeast-3.myhuaweicloud.com", "https://169.254.169.254/latest",
     "https://127.0.0.1:8001", "https://localhost", "https://evil.example.com",
     "https://myhuaweicloud.com.evil.example", "https://user:pw@drs.ap-southeast-3.myhuaweicloud.com"],
)  # fmt: skip
def test_refused_when_custom_endpoints_are_off(settings, url):
    settings.DRS_ALLOW_CUSTOM_ENDPOINTS = False
    assert endpoint_problem(url)


@pytest.mark.parametrize(
    "url",
    ["https://drs.ap-southeast-3.myhuaweicloud.com", "https://drs.eu-west-101.myhuaweicloud.eu",
     "https://iam.myhuaweicloud.com", ""],
)  # fmt: skip
def test_cloud_endpoints_allowed(settings, url):
    settings.DRS_ALLOW_CUSTOM_ENDPOINTS = False
    assert endpoint_problem(url) is None


def test_allowed_when_the_setting_is_on(settings):
    settings.DRS_ALLOW_CUSTOM_ENDPOINTS = True
    assert endpoint_problem("http://127.0.0.1:8001") is None


@pytest.mark.django_db
def test_form_and_client_both_refuse(settings, login, people, tenant, simulator):
    settings.DRS_ALLOW_CUSTOM_ENDPOINTS = False
    with pytest.raises(EndpointRefused):
        client_for(tenant)  # a tenant stored while the setting was on is not called either
    response = login("root").post(
        "/tenants/new/",
        {"name": "X", "region": "ap-southeast-3", "project_id": "p1", "auth_method": "aksk",
         "access_key": "AK", "secret_key": "SK", "language": "en-us",
         "drs_endpoint": "http://10.0.0.1/"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "must use https" in response.content.decode()
    assert simulator.calls() == 0
