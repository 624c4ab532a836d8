"""walk_jobs (drs-api.md §7): one walker that survives capped, repeating and endless upstreams."""

from __future__ import annotations

import pytest

from jobs.drs import InvalidFilter, JobFilters, JobWalk
from tests.drs.fake_upstream import FakeUpstream, fake_client, send_json

IDS = [f"job-{n:04d}" for n in range(95)]


def serve_list(ids: list[str], *, cap: int = 2000, count: object = None, repeat_from: int = -1):
    """A list endpoint over `ids` that answers at most `cap` items per page; from offset
    `repeat_from` on it answers the first page again, as a server ignoring offset would."""

    def respond(handler) -> None:
        query = dict(pair.split("=", 1) for pair in handler.path.split("?", 1)[1].split("&"))
        limit, offset = min(int(query["limit"]), cap), int(query["offset"])
        if 0 <= repeat_from <= offset:
            offset = 0
        jobs = [{"id": i, "status": "SUCCESS"} for i in ids[offset : offset + limit]]
        send_json(handler, 200, {"count": len(ids) if count is None else count, "jobs": jobs})

    return respond


def walk(upstream, **options) -> tuple[JobWalk, list[str]]:
    jobs = fake_client(upstream.url).walk_jobs(**options)
    return jobs, [job.id for job in jobs]


def test_a_capped_limit_is_not_the_end():
    with FakeUpstream(serve_list(IDS, cap=10)) as upstream:
        jobs, ids = walk(upstream, page_size=50)
    assert ids == IDS
    assert (jobs.complete, jobs.reason, jobs.count, jobs.calls) == (True, "count_reached", 95, 10)
    offsets = [int(query["offset"]) for _, _, query in upstream.requests]
    assert offsets == list(range(0, 100, 10))
    assert {query["limit"] for _, _, query in upstream.requests} == {"50"}


def test_a_repeated_page_stops_the_walk_incomplete():
    with FakeUpstream(serve_list(IDS, cap=10, repeat_from=20)) as upstream:
        jobs, ids = walk(upstream, page_size=10)
    assert ids == IDS[:20]
    assert (jobs.complete, jobs.reason, jobs.calls) == (False, "repeated_page", 3)


def test_the_page_cap_bounds_a_walk():
    with FakeUpstream(serve_list(IDS, cap=5)) as upstream:
        jobs, ids = walk(upstream, page_size=5, max_pages=4)
    assert ids == IDS[:20]
    assert (jobs.complete, jobs.reason, jobs.calls, jobs.count) == (False, "page_cap", 4, 95)
    assert upstream.calls == 4


def test_no_count_walks_until_an_empty_page():
    with FakeUpstream(serve_list(IDS, cap=40, count="not a number")) as upstream:
        jobs, ids = walk(upstream, page_size=40)
    assert ids == IDS
    assert (jobs.complete, jobs.reason, jobs.count, jobs.calls) == (True, "empty_page", None, 4)


def test_should_stop_is_asked_before_each_call():
    answers = iter([False, False, True])
    with FakeUpstream(serve_list(IDS, cap=10)) as upstream:
        jobs, ids = walk(upstream, page_size=10, should_stop=lambda: next(answers))
    assert ids == IDS[:20]
    assert (jobs.complete, jobs.reason, jobs.calls) == (False, "stopped", 2)
    assert upstream.calls == 2


def test_skipped_items_still_move_the_offset():
    odd = ["job-0", "bad id", "job-2", "job-3"]

    def respond(handler) -> None:
        offset = int(handler.path.split("offset=")[1].split("&")[0])
        jobs = [{"id": i} for i in odd[offset : offset + 2]]
        send_json(handler, 200, {"count": 4, "jobs": jobs})

    with FakeUpstream(respond) as upstream:
        jobs, ids = walk(upstream, page_size=2)
    assert ids == ["job-0", "job-2", "job-3"]
    assert jobs.complete and jobs.calls == 2


def test_duplicates_across_pages_come_once(token_client, simulator):
    total = token_client.list_jobs(limit=1).count
    simulator.reset_counters()
    jobs = token_client.walk_jobs(page_size=50)
    ids = [job.id for job in jobs]
    assert len(ids) == len(set(ids)) == total == jobs.count
    assert jobs.complete and jobs.calls == simulator.calls() == -(-total // 50)


def test_iter_jobs_is_the_walker_and_bad_filters_fail_before_any_call(token_client, simulator):
    assert isinstance(token_client.iter_jobs(page_size=10), JobWalk)
    with pytest.raises(InvalidFilter):
        token_client.walk_jobs(JobFilters(status="DONE"))
    assert simulator.calls() == 0
