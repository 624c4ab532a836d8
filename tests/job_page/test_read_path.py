"""The job page's read path: cached failures read in each reader's language, a poll that costs at
most one query, a refresh button that cannot flood DRS."""

from __future__ import annotations

import pytest

from tests.support import EXAMPLE_ID, LIVE, text_of

pytestmark = pytest.mark.django_db


def test_a_cached_failure_reads_in_each_readers_language(login, tenant, simulator):
    job_id = simulator.add_live_job(600)
    simulator.set_fault("http_503")
    url = f"/tenants/{tenant.slug}/jobs/{job_id}/"
    client = login("viewer")
    english = text_of(client.get(url).content.decode())
    client.cookies["django_language"] = "zh-hans"
    chinese = text_of(client.get(url).content.decode())
    assert "DRS is unavailable: it answered HTTP 503" in english
    assert "DRS服务不可用：返回了HTTP 503" in chinese
    assert "DRS is unavailable" not in chinese
    asked = simulator.languages()  # each reader's own call (with the client's retries)
    assert set(asked) == {"en-us", "zh-cn"} and asked["en-us"] == asked["zh-cn"]


def test_a_poll_on_a_cache_hit_costs_at_most_one_query(
    login, tenant, simulator, django_assert_max_num_queries
):
    job_id = simulator.add_live_job(600)
    client = login("viewer")
    url = f"/tenants/{tenant.slug}/jobs/{job_id}/"
    client.get(url)  # the page: fetches, stores the snapshot, fills the caches
    first = client.get(url, {"seen": "TRANSFERRING"}, **LIVE)
    with django_assert_max_num_queries(1):
        again = client.get(url, {"seen": "TRANSFERRING"}, **LIVE)
    assert again.status_code == 200 and again.content == first.content
    assert simulator.calls() == 1


def test_the_unchanged_header_is_rendered_once_for_all_watchers(login, tenant, simulator):
    job_id = simulator.add_live_job(600)
    url = f"/tenants/{tenant.slug}/jobs/{job_id}/"
    viewer = login("viewer").get(url, {"seen": "TRANSFERRING"}, **LIVE).content
    operator = login("operator").get(url, {"seen": "TRANSFERRING"}, **LIVE).content
    assert viewer == operator and b"TRANSFERRING" in viewer


def test_refresh_now_reaches_drs_at_most_once_per_interval(login, tenant, simulator, settings):
    settings.JOB_REFRESH_SECONDS = 30
    job_id = simulator.add_live_job(600)
    client = login("viewer")
    url = f"/tenants/{tenant.slug}/jobs/{job_id}/"
    client.get(url)
    simulator.reset_counters()
    for _ in range(5):
        assert client.get(url, {"refresh": "1", "seen": "TRANSFERRING"}, **LIVE).status_code == 200
    assert simulator.calls() == 1


def test_a_user_change_is_seen_at_once(login, tenant, people, simulator):
    """Users come from the cache, but deactivating someone signs them out on the next request."""
    job_id = simulator.add_live_job(600)
    client = login("viewer")
    url = f"/tenants/{tenant.slug}/jobs/{job_id}/"
    assert client.get(url).status_code == 200
    people["viewer"].is_active = False
    people["viewer"].save()
    assert client.get(url).status_code == 302  # to the sign-in page


def test_a_chosen_time_zone_applies_at_once(login, tenant, people):
    client = login("viewer")
    url = f"/tenants/{tenant.slug}/jobs/{EXAMPLE_ID}/"
    assert "Created 2024-08-19 02:27:15 UTC" in text_of(client.get(url).content.decode())
    saved = client.post("/accounts/preferences/", {"time_zone": "Asia/Tokyo", "language": "en"})
    assert saved.status_code == 302
    assert "Created 2024-08-19 11:27:15 UTC+9" in text_of(client.get(url).content.decode())


def test_one_person_cannot_make_drs_refresh_without_end(login, tenant, simulator, settings):
    settings.USER_UPSTREAM_ACTIONS_PER_MINUTE = 3
    client = login("viewer")
    jobs = [simulator.add_live_job(600) for _ in range(5)]
    for job_id in jobs:
        client.get(f"/tenants/{tenant.slug}/jobs/{job_id}/")
    simulator.reset_counters()
    for job_id in jobs:  # a different job each time: the per-job throttle does not apply
        url = f"/tenants/{tenant.slug}/jobs/{job_id}/"
        assert client.get(url, {"refresh": "1"}).status_code == 200
    assert simulator.calls() == 3


def test_lookups_that_ask_drs_are_limited_per_person(login, tenant, simulator, settings):
    settings.USER_UPSTREAM_ACTIONS_PER_MINUTE = 2
    client = login("viewer")
    unknown = [f"0000000{n}-aaaa-bbbb-cccc-000000000000" for n in range(3)]
    assert client.get("/jobs/lookup/", {"q": unknown[0]}).status_code == 404
    assert client.get("/jobs/lookup/", {"q": unknown[1]}).status_code == 404
    limited = client.get("/jobs/lookup/", {"q": unknown[2]})
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert "too many unknown job ids" in text_of(limited.content.decode())
    assert login("operator").get("/jobs/lookup/", {"q": unknown[2]}).status_code == 404


def test_a_finished_jobs_sections_are_built_once(login, tenant, monkeypatch):
    """A finished job's sections (files, options, …) come from the template cache after the
    first view: a job with thousands of files costs nothing more on the next."""
    from jobs.job_page import presenter

    built = []
    real = presenter.sections
    monkeypatch.setattr(presenter, "sections", lambda job: built.append(1) or real(job))
    client = login("viewer")
    url = f"/tenants/{tenant.slug}/jobs/{EXAMPLE_ID}/"
    first, second = client.get(url).content, client.get(url).content
    assert len(built) == 1
    assert b"Backup files" in second and first.count(b"<section") == second.count(b"<section")
