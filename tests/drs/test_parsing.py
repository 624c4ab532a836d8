"""Lenient models (drs-api.md §1): codes, epochs, digit strings, csv lists; odd ids skipped;
no value, however odd or deep, makes parsing raise, now or when a caller shifts a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobs.drs import BadUpstreamResponse, Job, JobPage, RequestRejected
from jobs.drs.models import parse_time
from tests.drs.fake_upstream import FakeUpstream, fake_client, send_json
from tests.support import EXAMPLE_ID

MOMENT = datetime(2024, 1, 29, 6, 56, tzinfo=UTC)
FAR_ZONES = (timezone(timedelta(hours=14)), timezone(timedelta(hours=-12)))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", "full"),
        ("2", "incre"),
        (1, "full"),
        (2, "incre"),
        (" 2 ", "incre"),
        ("FULL", "full"),
        ("incre", "incre"),
        ("3", "3"),
        (None, ""),
    ],
)
def test_recovery_mode_codes(raw, expected):
    assert Job.parse({"options": {"recovery_mode": raw}}).options.recovery_mode == expected


@pytest.mark.parametrize(
    "raw",
    [
        "2024-01-29T06:56:00Z",
        "2024-01-29T07:56:00+01:00",
        "2024-01-29T06:56:00",
        "1706511360",
        1706511360,
        1706511360.0,
        "1706511360000",
        1706511360000,
        " 1706511360000 ",
    ],
)
def test_times_in_every_documented_shape(raw):
    job = Job.parse(
        {
            "create_time": raw,
            "finish_time": raw,
            "backup_info": {"file_info": [{"file_name": "a.bak", "file_last_modify": raw}]},
        }
    )
    assert job.create_time == job.finish_time == MOMENT
    assert job.backup_info.files[0].last_modified == MOMENT


@pytest.mark.parametrize(
    "raw",
    [
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "0001-01-01",
        "9999-12-31",
        "2250-01-01T00:00:00Z",
        "1969-12-31T23:00:00Z",
        0,
        "0",
        -5,
        10**20,
        "9" * 20,
        10**400,
        float("inf"),
        float("nan"),
        True,
        "",
        "soon",
        [],
        {},
    ],
)
def test_times_outside_the_calendar_are_none(raw):
    assert parse_time(raw) is None


@given(
    st.one_of(
        st.integers(),
        st.floats(),
        st.integers().map(str),
        st.datetimes(timezones=st.timezones() | st.none()).map(lambda d: d.isoformat()),
    )
)
def test_any_time_can_be_shifted_into_any_zone(raw):
    parsed = parse_time(raw)
    if parsed is not None:
        for zone in FAR_ZONES:
            parsed.astimezone(zone)
        assert datetime(1970, 1, 1, tzinfo=UTC) < parsed < datetime(2200, 1, 1, tzinfo=UTC)


def test_db_names_as_csv_or_list():
    assert Job.parse({"options": {"db_names": "Sales, HR,,Ops "}}).options.db_names == (
        "Sales",
        "HR",
        "Ops",
    )
    assert Job.parse({"options": {"db_names": ["Sales"]}}).options.db_names == ("Sales",)


@pytest.mark.parametrize(
    ("raw", "count", "reported"),
    [
        (12, 12, True),
        ("12", 12, True),
        (" 7 ", 7, True),
        ("-1", 1, False),
        ("x", 1, False),
        (True, 1, False),
        ("9" * 5000, 1, False),
        (None, 1, False),
    ],
)
def test_count_as_digit_string(raw, count, reported):
    page = JobPage.parse({"count": raw, "jobs": [{"id": "a-1"}]}, limit=10, offset=0)
    assert (page.count, page.count_reported) == (count, reported)


def test_items_without_a_usable_id_are_skipped_and_counted():
    junk = [
        "junk",
        3,
        None,
        {"name": "no id"},
        {"id": ""},
        {"id": "bad id!"},
        {"id": "a" * 65},
        {"id": 12},
        {"id": "-leading-hyphen"},
    ]
    page = JobPage.parse(
        {"count": 11, "jobs": [{"id": EXAMPLE_ID}, *junk, {"id": "a" * 64}]}, limit=20, offset=0
    )
    assert [job.id for job in page.jobs] == [EXAMPLE_ID, "a" * 64]
    assert page.skipped == len(junk)
    assert page.received == 11


def test_deep_json_in_a_stored_body():
    with pytest.raises(BadUpstreamResponse):
        Job.parse_json("[" * 200_000 + "]" * 200_000)
    assert Job.parse_json("{not json").id == ""
    assert Job.parse({"new_db_names": "[" * 200_000}).new_db_names is None


@pytest.mark.parametrize("path_kind", ["detail", "list"])
def test_deep_json_from_upstream(path_kind):
    deep = b'{"jobs": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    with FakeUpstream(lambda handler: send_json(handler, 200, deep)) as upstream:
        client = fake_client(upstream.url)
        with pytest.raises(BadUpstreamResponse, match="nested"):
            client.get_job(EXAMPLE_ID) if path_kind == "detail" else client.list_jobs()


def test_deep_error_body_is_still_an_error():
    deep = b"[" * 200_000
    with (
        FakeUpstream(lambda handler: send_json(handler, 400, deep)) as upstream,
        pytest.raises(RequestRejected) as caught,
    ):
        fake_client(upstream.url).get_job(EXAMPLE_ID)
    assert caught.value.status == 400
