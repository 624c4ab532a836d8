"""drs-api.md §6: one class per code that needs its own handling; every error pickles whole."""

from __future__ import annotations

import json
import logging
import pickle

import pytest

import jobs.drs as drs
from jobs.drs import (
    ApiNotServed,
    AuthenticationFailed,
    DrsError,
    EmptyResult,
    InvalidProjectId,
    JobNotFound,
    NoDrsRole,
    ParameterError,
    PermissionDenied,
    RequestRejected,
    RestrictedUser,
    Throttled,
    UpstreamUnavailable,
)
from jobs.drs.errors import error_for_response
from tests.drs.fake_upstream import FakeUpstream, fake_client, send_json
from tests.support import EXAMPLE_ID


def all_subclasses(cls: type) -> list[type]:
    return [cls, *(sub for child in cls.__subclasses__() for sub in all_subclasses(child))]


@pytest.mark.parametrize("cls", all_subclasses(DrsError), ids=lambda cls: cls.__name__)
def test_every_error_pickles_whole(cls):
    error = cls(
        "refused", status=404, error_code="APIG.0101", error_msg="API not exist", request_id="r-1"
    )
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes)
    assert type(copy) is cls
    assert (copy.args, str(copy)) == (error.args, str(error))
    assert (copy.status, copy.error_code, copy.error_msg, copy.request_id) == (
        404,
        "APIG.0101",
        "API not exist",
        "r-1",
    )


def body(code: str, msg: str = "message") -> str:
    return json.dumps({"error_code": code, "error_msg": msg})


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (404, "APIG.0101", ApiNotServed),
        (404, "APIGW.0101", ApiNotServed),
        (404, "DRS.10000011", RequestRejected),
        (404, "", RequestRejected),
        (404, "DRS.M00101", NoDrsRole),
        (403, "DRS.M00261", InvalidProjectId),
        (400, "DRS.M00007", ParameterError),
        (400, "DRS.M00200", ParameterError),
        (400, "DRS.M00201", ParameterError),
        (400, "DRS.M00202", ParameterError),
        (400, "DRS.M00105", RestrictedUser),
        (422, "DRS.M00004", UpstreamUnavailable),
        (422, "DRS.M00002", EmptyResult),
        (400, "DRS.10000010", JobNotFound),
        (429, "APIGW.0308", Throttled),
        (401, "APIGW.0303", AuthenticationFailed),
        (403, "DRS.M00102", PermissionDenied),
        (400, "DRS.10000001", RequestRejected),
    ],
)
def test_code_to_class(status, code, cls):
    error = error_for_response(status, body(code), "r-1")
    assert type(error) is cls
    assert (error.status, error.error_code, error.request_id) == (status, code, "r-1")


def test_new_classes_are_exported_and_placed():
    assert issubclass(drs.NoDrsRole, PermissionDenied)
    assert issubclass(drs.InvalidProjectId, PermissionDenied)
    for cls in (drs.ApiNotServed, drs.ParameterError, drs.RestrictedUser, drs.EmptyResult):
        assert issubclass(cls, RequestRejected)


def test_empty_result_on_a_list_is_an_empty_page():
    reply = body("DRS.M00002", "no data")
    with FakeUpstream(lambda handler: send_json(handler, 422, reply.encode())) as upstream:
        page = fake_client(upstream.url).list_jobs(limit=10, offset=20)
    assert (page.count, page.jobs, page.offset) == (0, (), 20)
    assert page.request_id == "fake-request-id"


def test_service_abnormal_is_retried_like_a_5xx():
    reply = body("DRS.M00004", "service abnormal").encode()
    with FakeUpstream(lambda handler: send_json(handler, 422, reply)) as upstream:
        client = fake_client(upstream.url)
        with pytest.raises(UpstreamUnavailable):
            client.get_job(EXAMPLE_ID)
    assert upstream.calls == client.transport.settings.max_attempts


def test_parameter_error_is_logged_as_our_bug_and_not_retried(caplog):
    reply = body("DRS.M00007", "invalid parameter").encode()
    with (
        FakeUpstream(lambda handler: send_json(handler, 400, reply)) as upstream,
        caplog.at_level(logging.ERROR, "jobs.drs.client"),
        pytest.raises(ParameterError),
    ):
        fake_client(upstream.url).list_jobs()
    assert upstream.calls == 1
    assert any("our bug" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
