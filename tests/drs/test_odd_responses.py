"""Whatever shape a response takes, parsing never raises (hypothesis-generated bodies)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.drs import Job, JobPage

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text()
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = [
    "id",
    "status",
    "create_time",
    "finish_time",
    "backup_info",
    "base_info",
    "target_db_info",
    "options",
    "new_db_names",
    "instance_name",
    "error_log",
]
NESTED = [
    "file_source",
    "bucket_name",
    "file_info",
    "file_name",
    "file_size",
    "file_last_modify",
    "name",
    "tags",
    "key",
    "value",
    "is_cover",
    "recovery_mode",
    "db_names",
    "reset_db_name_map",
    "target_instance_id",
    "consistency_check_mode",
]
shaped = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(NESTED), children, max_size=6)
    ),
    max_leaves=30,
)
job_like = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=5), shaped, max_size=12)


def exercise(job: Job) -> None:
    """Touch every derived value a page would show."""
    assert job.duration() is None or job.duration().total_seconds() >= 0
    assert isinstance(job.is_terminal, bool)
    total = job.backup_info.total_bytes
    assert total is None or total >= 0
    for file in job.backup_info.files:
        assert isinstance(file.name, str)
        assert file.size_bytes is None or file.size_bytes >= 0
    json.loads(job.raw_json)


@settings(max_examples=400)
@given(job_like)
def test_detail_shapes_never_raise(data):
    exercise(Job.parse(data))


@settings(max_examples=200)
@given(json_values)
def test_any_json_never_raises(data):
    exercise(Job.parse(data))
    JobPage.parse(data, 10, 0)


@settings(max_examples=200)
@given(st.dictionaries(st.sampled_from(["count", "jobs"]), shaped | st.lists(job_like)))
def test_list_shapes_never_raise(data):
    page = JobPage.parse(data, 10, 0)
    assert page.count >= 0
    for job in page.jobs:
        job.duration()
