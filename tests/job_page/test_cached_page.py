"""The page of a finished job: its body rendered once per snapshot, language and time zone, for
everyone; each person's own bits (the watch button) around it. Over real HTTP to the
simulator."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jobs.mirror.models import JobStatusChange, MirroredJob
from jobs.notify.models import Watch
from jobs.sync.tenant import sync_tenant
from tests.support import text_of

pytestmark = pytest.mark.django_db


def finished_job(tenant) -> str:
    sync_tenant(tenant)
    return MirroredJob.objects.filter(tenant=tenant, status="SUCCESS").values_list(
        "job_id", flat=True
    )[0]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_one_render_for_everyone_and_each_person_their_own_watch_button(tenant, people, simulator):
    job_id = finished_job(tenant)
    Watch.objects.create(user=people["viewer"], tenant=tenant, job_id=job_id)
    url = f"/tenants/{tenant.slug}/jobs/{job_id}/"
    viewer, operator = signed_in(people["viewer"]), signed_in(people["operator"])
    first = viewer.get(url)  # renders the body (and reads the history) once
    assert first.status_code == 200
    assert operator.get("/").status_code == 200  # each person's first request of a session
    history = JobStatusChange._meta.db_table
    pages = {}
    for name, client in (("viewer", viewer), ("operator", operator)):
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url)
        assert page.status_code == 200
        assert not [q for q in captured if history in q["sql"]]  # the body came from the cache
        pages[name] = (text_of(page.content.decode()), len(captured))
    print({name: queries for name, (_text, queries) in pages.items()})
    # A finished job: who watches it may stop; who does not has nothing left to watch.
    assert "Stop watching" in pages["viewer"][0]
    assert "Stop watching" not in pages["operator"][0]
    assert "nothing left to watch" in pages["operator"][0]
    for text, queries in pages.values():
        assert "SUCCESS" in text and job_id in text
        # session, person, their role in the tenant, their watch (before: 6, history included)
        assert queries <= 4
    first_text = text_of(first.content.decode())
    assert first_text == pages["viewer"][0]  # the cached page is the page


def test_a_new_snapshot_is_a_new_render(tenant, people, simulator, settings):
    settings.JOB_REFRESH_SECONDS = 1
    job_id = finished_job(tenant)
    url = f"/tenants/{tenant.slug}/jobs/{job_id}/"
    client = signed_in(people["operator"])
    assert client.get(url).status_code == 200
    simulator.store.job(job_id).data["base_info"]["name"] = "renamed-in-drs"
    client.get(url, {"refresh": "1"})  # a forced refresh: a new snapshot
    assert "renamed-in-drs" in text_of(client.get(url).content.decode())
