"""The sync's walker (drs-api.md §7): it survives capped, repeating and endless upstreams."""

from __future__ import annotations

import pytest

from jobs.drs import InvalidFilter, JobFilters
from jobs.sync.walk import REPEATED, Walk
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


def walker(client, limit: int, max_pages: int = 200, filters: JobFilters | None = None) -> Walk:
    return Walk(lambda lim, off: client.list_jobs(filters, limit=lim, offset=off), limit, max_pages)


def walk(upstream, limit: int, max_pages: int = 200) -> tuple[Walk, list[str]]:
    jobs = walker(fake_client(upstream.url), limit, max_pages)
    return jobs, [job.id for page in jobs.pages() for job in page]


def test_a_capped_limit_is_not_the_end():
    with FakeUpstream(serve_list(IDS, cap=10)) as upstream:
        jobs, ids = walk(upstream, 50)
    assert ids == IDS
    assert (jobs.complete, jobs.incomplete_reason, jobs.count) == (True, "", 95)
    offsets = [int(query["offset"]) for _, _, query in upstream.requests]
    assert offsets == list(range(0, 100, 10))  # ten calls, the last one past nothing
    assert {query["limit"] for _, _, query in upstream.requests} == {"50"}


def test_a_repeated_page_stops_the_walk_incomplete():
    with FakeUpstream(serve_list(IDS, cap=10, repeat_from=20)) as upstream:
        jobs, ids = walk(upstream, 10)
    assert ids == IDS[:20]
    assert (jobs.complete, jobs.incomplete_reason, upstream.calls) == (False, REPEATED, 3)


def test_the_page_cap_bounds_a_walk():
    with FakeUpstream(serve_list(IDS, cap=5)) as upstream:
        jobs, ids = walk(upstream, 5, max_pages=4)
    assert ids == IDS[:20]
    assert (jobs.complete, jobs.incomplete_reason, jobs.count) == (
        False,
        "stopped after 4 pages",
        95,
    )
    assert upstream.calls == 4


def test_no_count_walks_until_an_empty_page():
    with FakeUpstream(serve_list(IDS, cap=40, count="not a number")) as upstream:
        jobs, ids = walk(upstream, 40)
    assert ids == IDS
    assert (jobs.complete, jobs.incomplete_reason, jobs.count, upstream.calls) == (
        True,
        "",
        None,
        4,
    )


def test_skipped_items_still_move_the_offset():
    odd = ["job-0", "bad id", "job-2", "job-3"]

    def respond(handler) -> None:
        offset = int(handler.path.split("offset=")[1].split("&")[0])
        jobs = [{"id": i} for i in odd[offset : offset + 2]]
        send_json(handler, 200, {"count": 4, "jobs": jobs})

    with FakeUpstream(respond) as upstream:
        jobs, ids = walk(upstream, 2)
    assert ids == ["job-0", "job-2", "job-3"]
    assert jobs.complete and jobs.skipped == 1 and upstream.calls == 2


def test_every_page_of_the_simulator_once(token_client, simulator):
    total = token_client.list_jobs(limit=1).count
    simulator.reset_counters()
    jobs = walker(token_client, 50)
    ids = [job.id for page in jobs.pages() for job in page]
    assert len(ids) == len(set(ids)) == total == jobs.count
    # Stops once the offset reaches count: no call for an empty page after the last.
    assert jobs.complete and simulator.calls() == max(-(-total // 50), 1)


def test_bad_filters_fail_before_any_call(token_client, simulator):
    jobs = walker(token_client, 10, filters=JobFilters(status="DONE"))
    with pytest.raises(InvalidFilter):
        next(jobs.pages())
    assert simulator.calls() == 0
