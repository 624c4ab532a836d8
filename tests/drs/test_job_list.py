"""list_jobs: filters, sort and paging as documented, over real HTTP."""

from __future__ import annotations

import pytest

from jobs.drs import InvalidFilter, JobFilters
from tests.support import EXAMPLE_ID


def test_first_page_and_count(drs_client):
    page = drs_client.list_jobs(limit=10)
    assert page.count > 100
    assert len(page.jobs) == 10
    assert page.limit == 10 and page.offset == 0
    assert all(job.id and job.status for job in page.jobs)


def test_paging_by_offset_has_no_overlap(drs_client):
    first = drs_client.list_jobs(limit=25, offset=0)
    second = drs_client.list_jobs(limit=25, offset=25)
    assert not {j.id for j in first.jobs} & {j.id for j in second.jobs}


@pytest.mark.parametrize("status", ["SUCCESS", "FAILED", "PRECHECK FAILED", "precheck failed"])
def test_status_filter(drs_client, status):
    page = drs_client.list_jobs(JobFilters(status=status), limit=50)
    assert page.count > 0
    assert {job.status for job in page.jobs} == {status.upper()}


def test_name_filter_is_fuzzy(drs_client):
    page = drs_client.list_jobs(JobFilters(name="drs-68"), limit=50)
    assert "DRS-6813" in {job.name for job in page.jobs}


def test_instance_filter_repeats_the_key(drs_client):
    job = drs_client.get_job(EXAMPLE_ID)
    instance = job.target_db_info.target_instance_id
    page = drs_client.list_jobs(
        JobFilters(dbs_instance_ids=(instance, "no-such-instance")), limit=200
    )
    assert job.id in {j.id for j in page.jobs}
    assert page.count < drs_client.list_jobs(limit=1).count


def test_sort_by_name(drs_client):
    names = [
        j.name
        for j in drs_client.list_jobs(JobFilters(sort_key="name", sort_dir="asc"), limit=30).jobs
    ]
    assert names == sorted(names, key=str.lower) or names == sorted(names)


@pytest.mark.parametrize(
    "filters",
    [
        JobFilters(status="DONE"),
        JobFilters(sort_key="size"),
        JobFilters(sort_dir="up"),
        JobFilters(dbs_instance_ids=tuple(str(i) for i in range(11))),
    ],
)
def test_bad_filters_refused_locally(drs_client, simulator, filters):
    with pytest.raises(InvalidFilter):
        drs_client.list_jobs(filters)
    assert simulator.calls() == 0


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (2001, 0), (10, -1)])
def test_bad_paging_refused_locally(drs_client, simulator, limit, offset):
    with pytest.raises(InvalidFilter):
        drs_client.list_jobs(limit=limit, offset=offset)
    assert simulator.calls() == 0
