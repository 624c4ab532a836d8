"""Job ids are checked before any request; nothing typed can change the request path."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobs.drs import InvalidJobId, validate_job_id
from tests.support import EXAMPLE_ID


@pytest.mark.parametrize(
    "job_id",
    [
        EXAMPLE_ID,
        "341de3a3-c58a-445d-82e3-8e062b6jb703",
        "ABCDEF12-3456-7890-abcd-ef1234567890",
        "a",
    ],
)
def test_accepted(job_id):
    assert validate_job_id(job_id) == job_id


@pytest.mark.parametrize(
    "job_id",
    [
        "",
        "../admin",
        "a/b",
        "id?x=1",
        "id#frag",
        "%2e%2e",
        " " + EXAMPLE_ID,
        EXAMPLE_ID + "\n",
        "-leading",
        "a" * 65,
        "名字",
        "id;drop",
        None,
    ],
)
def test_refused(job_id):
    with pytest.raises(InvalidJobId):
        validate_job_id(job_id)


def test_refused_before_any_request(drs_client, simulator):
    with pytest.raises(InvalidJobId):
        drs_client.get_job("../../v3/auth/tokens")
    assert simulator.calls() == 0
    assert simulator.calls("/") == 0


@given(st.text(max_size=80))
def test_anything_accepted_is_a_single_safe_path_segment(text):
    try:
        validate_job_id(text)
    except InvalidJobId:
        return
    assert all(c.isascii() and (c.isalnum() or c == "-") for c in text)
