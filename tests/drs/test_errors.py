"""Every simulator fault becomes the matching DrsError, with the gateway's code, message and id."""

from __future__ import annotations

import dataclasses
import socket

import pytest

from jobs.drs import (
    ApiNotServed,
    AuthenticationFailed,
    BadUpstreamResponse,
    PermissionDenied,
    RequestRejected,
    Throttled,
    UpstreamUnavailable,
)
from tests.conftest import FAST
from tests.support import EXAMPLE_ID


def detail_path(config, job_id=EXAMPLE_ID):
    return f"/v5/{config.project_id}/backup-migration-jobs/{job_id}"


@pytest.mark.parametrize("kind", ["http_500", "http_502", "http_503"])
def test_5xx_with_html_body(token_client, simulator, simulator_config, kind):
    simulator.set_fault(kind, target=EXAMPLE_ID)
    with pytest.raises(UpstreamUnavailable) as caught:
        token_client.get_job(EXAMPLE_ID)
    error = caught.value
    assert error.status == int(kind[-3:])
    assert "<" not in error.error_msg and len(error.error_msg) <= 301
    assert error.request_id
    assert simulator.calls(detail_path(simulator_config)) == FAST.max_attempts


def test_one_5xx_is_retried_away(drs_client, simulator, simulator_config):
    simulator.set_fault("http_503", target=EXAMPLE_ID, count=1)
    assert drs_client.get_job(EXAMPLE_ID).id == EXAMPLE_ID
    assert simulator.calls(detail_path(simulator_config)) == 2


def test_throttle_keeps_gateway_code_and_message(token_client, simulator):
    simulator.set_fault("throttle", target=EXAMPLE_ID)
    with pytest.raises(Throttled) as caught:
        token_client.get_job(EXAMPLE_ID)
    assert caught.value.status == 429
    assert caught.value.error_code == "APIG.0308"
    assert "ratelimit" in caught.value.error_msg
    assert caught.value.request_id


def test_throttle_once_then_success(token_client, simulator, simulator_config):
    simulator.set_fault("throttle", target=EXAMPLE_ID, count=1)
    assert token_client.get_job(EXAMPLE_ID).status == "SUCCESS"
    assert simulator.calls(detail_path(simulator_config)) == 2


@pytest.mark.parametrize("kind", ["malformed_json", "non_object_json"])
def test_bad_json_body(token_client, simulator, kind):
    simulator.set_fault(kind, target=EXAMPLE_ID)
    with pytest.raises(BadUpstreamResponse) as caught:
        token_client.get_job(EXAMPLE_ID)
    assert caught.value.status == 200


def test_oversized_body_is_refused(simulator, make_client):
    small = dataclasses.replace(FAST, max_body_bytes=256 * 1024)
    drs_client = make_client("token", settings=small)
    simulator.set_fault("oversized", target=EXAMPLE_ID, bytes=1024 * 1024)
    with pytest.raises(BadUpstreamResponse, match="limit"):
        drs_client.get_job(EXAMPLE_ID)


def test_delay_beyond_timeout(simulator, make_client):
    quick = dataclasses.replace(FAST, read_timeout=0.3, deadline=1.0)
    drs_client = make_client("aksk", settings=quick)
    simulator.set_fault("delay", target=EXAMPLE_ID, seconds=1.5)
    with pytest.raises(UpstreamUnavailable, match="Timed out"):
        drs_client.get_job(EXAMPLE_ID)


def test_dropped_connection(token_client, simulator):
    simulator.set_fault("drop", target=EXAMPLE_ID)
    with pytest.raises(UpstreamUnavailable):
        token_client.get_job(EXAMPLE_ID)


def test_refused_connection(make_client):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the request: nothing listens
    drs_client = make_client("aksk", drs_endpoint=f"http://127.0.0.1:{port}")
    with pytest.raises(UpstreamUnavailable, match="connect"):
        drs_client.get_job(EXAMPLE_ID)


def test_wrong_secret_key_is_not_retried(simulator, make_client, access_key_credentials):
    wrong = dataclasses.replace(access_key_credentials, secret_key="wrong" * 8)
    drs_client = make_client("aksk", credentials=wrong)
    with pytest.raises(AuthenticationFailed) as caught:
        drs_client.get_job(EXAMPLE_ID)
    assert caught.value.status == 401
    assert caught.value.error_code.startswith("APIG.030")
    assert simulator.calls() == 1


def test_wrong_password(simulator, make_client, password_credentials):
    wrong = dataclasses.replace(password_credentials, password="not-it")
    drs_client = make_client("token", credentials=wrong)
    with pytest.raises(AuthenticationFailed) as caught:
        drs_client.get_job(EXAMPLE_ID)
    assert caught.value.status == 401
    assert "password" in caught.value.error_msg
    assert simulator.calls() == 0


def test_other_project_is_permission_denied(make_client):
    drs_client = make_client("aksk", project_id="ffffffffffffffffffffffffffffffff")
    with pytest.raises(PermissionDenied) as caught:
        drs_client.get_job(EXAMPLE_ID)
    assert caught.value.status == 403


def test_odd_and_unknown_status_bodies_parse(token_client, simulator):
    simulator.set_fault("missing_fields", target=EXAMPLE_ID)
    job = token_client.get_job(EXAMPLE_ID)
    assert job.raw_json
    simulator.clear_faults()
    simulator.set_fault("unknown_status", target=EXAMPLE_ID)
    job = token_client.get_job(EXAMPLE_ID)
    assert job.status == "PAUSED" and not job.status.is_terminal
    assert job.finish_time and job.is_terminal  # the seed job finished: its finish time wins


def test_unknown_api_path_is_rejected(token_client):
    with pytest.raises(RequestRejected) as caught:
        token_client.transport.send(
            "GET",
            "/v5/nothing-here",
            headers={"Content-Type": "application/json"},
            auth=token_client.auth,
        )
    assert caught.value.status == 404
    assert caught.value.error_code == "APIG.0101"
    assert type(caught.value) is ApiNotServed
