"""Pages that do not grow with the fleet (issue 19, item 2): the overview's tenant table is paged
and searchable while its totals count every tenant; its refresh answers 204 when nothing changed
since the version the page shows, and a render is shared by everyone with the same view; the top
bar's tenant picker searches (at most PICKER_MAX tenants on a page); and the fleet pages cost as
many queries at 50 tenants as at 1."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from html import unescape

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jobs.mirror.models import Chain, MirroredJob, TenantSyncState
from jobs.sync.tenant import sync_tenant
from jobs.tenants.access import PICKER_MAX
from jobs.tenants.models import Membership, Tenant
from jobs.views import fleet

pytestmark = pytest.mark.django_db
FLEET = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "fleet"}


def add_tenants(viewer, count: int, prefix: str = "Fleet") -> list[Tenant]:
    """`count` tenants the viewer belongs to, each with a synced state, a running, a failed and
    a succeeded job in its mirror, and a migration."""
    now = timezone.now()
    made = []
    for n in range(count):
        tenant = Tenant(name=f"{prefix} {n:03d}", region="ap-southeast-3", project_id="p" * 32)
        tenant.auth_method = "aksk"
        tenant.access_key = "AK"
        tenant.secret_key = "SK"
        tenant.save()
        Membership.objects.create(user=viewer, tenant=tenant, role="viewer")
        TenantSyncState.objects.create(
            tenant=tenant, last_success_at=now, jobs_total=3, running_jobs=1, changed_at=now
        )
        jobs = [
            MirroredJob(
                tenant=tenant,
                job_id=str(uuid.uuid4()),
                name=f"{tenant.slug}-{status.lower()}",
                status=status,
                create_time=now - timedelta(hours=2, minutes=n),
                finish_time=None if status == "TRANSFERRING" else now - timedelta(minutes=30),
                error_log="Msg 3201: Cannot open backup device" if status == "FAILED" else "",
                failure_signature="msg-3201" if status == "FAILED" else "",
                size_class=14,
                first_seen_at=now,
                last_seen_at=now,
                synced_at=now,
            )
            for status in ("TRANSFERRING", "FAILED", "SUCCESS")
        ]
        MirroredJob.objects.bulk_create(jobs)
        Chain.objects.create(
            tenant=tenant,
            target_instance_id="i" * 32,
            database=f"db{n}",
            state=Chain.State.ONLINE,
            since=now - timedelta(minutes=30),
            started_at=now - timedelta(hours=2),
            steps=1,
            last_job=jobs[2],
            updated_at=now,
        )
        made.append(tenant)
    return made


def version(html: str) -> str:
    return re.search(r'id="fleet"[^>]*hx-get="[^"]*[?&](?:amp;)?u=([0-9a-f]+)"', html).group(1)


def fleet_url(html: str) -> str:
    return unescape(re.search(r'<div id="fleet"[^>]*hx-get="([^"]+)"', html).group(1))


# -- the overview's table: paged and searchable, the totals over every tenant -------------------


def test_fifty_rows_a_page_totals_over_all_and_a_search_that_keeps_the_sort(login, people):
    add_tenants(people["viewer"], 60)
    client = login("viewer")
    html = client.get("/").content.decode()
    assert html.count('<tr id="tenant-') == fleet.OVERVIEW_PAGE
    assert "<dt>Tenants</dt><dd>61</dd>" in html  # Acme too: the totals count every tenant
    assert "<dt>Running</dt><dd>60</dd>" in html
    assert 'id="tenant-pages"' in html and 'href="/?sort=name&amp;dir=asc&amp;page=2"' in html
    second = client.get("/", {"page": 2}).content.decode()
    assert second.count('<tr id="tenant-') == 11
    assert "<dt>Tenants</dt><dd>61</dd>" in second
    assert 'id="tenant-fleet-059"' in second and 'id="tenant-fleet-000"' not in second

    found = client.get("/", {"q": "LEET 04", "sort": "name", "dir": "desc"}).content.decode()
    rows = re.findall(r'<tr id="tenant-([a-z0-9-]+)"', found)
    assert rows == [f"fleet-04{n}" for n in range(9, -1, -1)]  # matched, sorted, descending
    assert "10 tenants match “LEET 04”" in found and 'id="tenant-pages"' not in found
    assert "<dt>Tenants</dt><dd>61</dd>" in found  # still every tenant on top
    # The sort links keep the search; the search box keeps the sort.
    assert 'href="?q=LEET%2004&amp;sort=running&amp;dir=asc"' in found
    assert 'name="sort" value="name"' in found and 'name="dir" value="desc"' in found
    assert 'name="q" id="tenant-q" value="LEET 04"' in found
    by_slug = client.get("/", {"q": "fleet-059"}).content.decode()
    assert re.findall(r'<tr id="tenant-([a-z0-9-]+)"', by_slug) == ["fleet-059"]
    none = client.get("/", {"q": "nothing-like-it"}).content.decode()
    assert "No tenant’s name or slug contains “nothing-like-it”." in none
    assert client.get("/", {"page": "x", "q": "a" * 500}).status_code == 200  # never a 500
    assert client.get("/", {"q": "fleet\x00-059"}).status_code == 200  # no NUL reaches SQL


def test_the_longest_running_job_is_read_for_the_page_only(login, people):
    add_tenants(people["viewer"], 55)
    html = login("viewer").get("/", {"sort": "longest", "dir": "desc"}).content.decode()
    rows = re.findall(r'<tr id="tenant-([a-z0-9-]+)"', html)
    # Fleet 054's running job started 54 minutes before Fleet 000's: the longest first.
    assert rows[:3] == ["fleet-054", "fleet-053", "fleet-052"]
    assert html.count("-transferring</a> <span data-elapsed-since=") == fleet.OVERVIEW_PAGE


# -- the refresh: 204 while unchanged, one render per interval for the same view ----------------


def test_an_unchanged_refresh_is_204_and_renders_nothing(
    login, people, monkeypatch, django_assert_max_num_queries
):
    (first,) = add_tenants(people["viewer"], 1)
    client = login("viewer")
    page = client.get("/").content.decode()
    url = fleet_url(page)
    assert url.startswith("/?sort=name&dir=asc&u=")
    rendered = []
    monkeypatch.setattr(fleet, "_overview", lambda *a: rendered.append(a) or {})
    cache.clear()  # no shared render to fall back on: an answer without a render is the 204
    with django_assert_max_num_queries(3):  # session, person, one aggregate
        unchanged = client.get(url, **FLEET)
    assert unchanged.status_code == 204 and unchanged.content == b"" and rendered == []
    monkeypatch.undo()

    TenantSyncState.objects.filter(tenant=first).update(changed_at=timezone.now())
    changed = client.get(url, **FLEET)
    assert changed.status_code == 200
    html = changed.content.decode()
    assert html.lstrip().startswith('<div id="fleet"') and version(html) != version(page)
    assert client.get(fleet_url(html), **FLEET).status_code == 204
    # A new tenant for this person changes the version too.
    add_tenants(people["viewer"], 1, prefix="Later")
    assert client.get(fleet_url(html), **FLEET).status_code == 200


def test_one_render_per_interval_for_everyone_with_the_same_view(login, people, monkeypatch):
    add_tenants(people["viewer"], 2)
    for tenant in Tenant.objects.exclude(slug="acme"):
        Membership.objects.create(user=people["operator"], tenant=tenant, role="operator")
    calls = []
    real = fleet._overview
    monkeypatch.setattr(fleet, "_overview", lambda *a: calls.append(a) or real(*a))
    monkeypatch.setattr(fleet.time, "time", lambda: 1_000_000.0)  # one interval throughout
    viewer = login("viewer").get("/", {"sort": "failed"}).content
    operator = login("operator").get("/", {"sort": "failed"}, **FLEET).content
    assert len(calls) == 1 and operator.decode() in viewer.decode()  # the same tenants, one render
    login("operator").get("/", {"sort": "failed", "q": "fleet"}, **FLEET)
    assert len(calls) == 2  # another view: another render
    client = login("viewer")
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get("/", {"sort": "failed"}, **FLEET).content.decode()
    assert len(calls) == 3 and "租户" in chinese
    login("root").get("/", {"sort": "failed"}, **FLEET)  # root sees every tenant: the same set
    assert len(calls) == 3
    Tenant.objects.create(name="Root only", project_id="p" * 32)
    login("root").get("/", {"sort": "failed"}, **FLEET)
    assert len(calls) == 4  # not the same set any more: never another person's render
    monkeypatch.setattr(fleet.time, "time", lambda: 1_000_000.0 + fleet.REFRESH_SECONDS)
    login("viewer").get("/", {"sort": "failed"}, **FLEET)
    assert len(calls) == 5  # the next interval renders again


# -- the tenant picker ---------------------------------------------------------------------------


def test_the_picker_offers_a_few_and_searches_the_rest(login, people):
    add_tenants(people["viewer"], 30)
    client = login("viewer")
    html = client.get("/tenants/acme/").content.decode()  # any page with the top bar
    top = html[html.index('id="lookup-tenant-top"') : html.index("</datalist>")]
    assert "<select" not in html[: html.index("<main")]
    assert top.count("<option ") == PICKER_MAX
    found = client.get("/jobs/lookup/tenants/", {"tenant": "fleet 02"}, HTTP_HX_REQUEST="true")
    options = re.findall(r'<option value="([a-z0-9-]+)">', found.content.decode())
    assert options == [f"fleet-02{n}" for n in range(10)]
    many = client.get("/jobs/lookup/tenants/", {"tenant": "fleet"}, HTTP_HX_REQUEST="true")
    assert many.content.decode().count("<option ") == PICKER_MAX
    page = client.get("/jobs/lookup/tenants/", {"q": "fleet"}).content.decode()
    assert page.count('<a href="/tenants/fleet-') == PICKER_MAX and 'id="tenant-more"' in page
    # Never another person's tenants.
    hidden = Tenant.objects.create(name="Fleet hidden", project_id="p" * 32)
    assert hidden.slug not in client.get("/jobs/lookup/tenants/", {"q": "hidden"}).content.decode()


def test_without_javascript_the_picker_text_still_finds_the_tenant(login, people, simulator):
    add_tenants(people["viewer"], 12)
    client = login("viewer")
    job_id = str(uuid.uuid4())
    one = client.get("/jobs/lookup/", {"tenant": "Fleet 007", "q": job_id})
    assert one.status_code == 302 and one["Location"] == f"/tenants/fleet-007/jobs/{job_id}/"
    exact = client.get("/jobs/lookup/", {"tenant": "acme", "q": job_id})
    assert exact["Location"] == f"/tenants/acme/jobs/{job_id}/"
    only_tenant = client.get("/jobs/lookup/", {"tenant": "fleet-003"})
    assert only_tenant["Location"] == "/tenants/fleet-003/jobs/"
    several = client.get("/jobs/lookup/", {"tenant": "fleet 01", "q": job_id})
    assert several.status_code == 302 and several["Location"].startswith("/jobs/lookup/tenants/?")
    choose = client.get(several["Location"]).content.decode()
    matches = choose[choose.index('id="tenant-matches"') :]
    assert matches[: matches.index("</ul>")].count("<li>") == 2  # Fleet 010, Fleet 011
    assert f'href="/jobs/lookup/?tenant=fleet-011&amp;q={job_id}"' in choose
    nowhere = client.get(client.get("/jobs/lookup/", {"tenant": "zzz"})["Location"])
    assert "None of your tenants has “zzz” in its name or slug." in nowhere.content.decode()
    assert simulator.calls() == 0


def test_failures_pick_a_tenant_by_part_of_its_name_and_list_none(login, people, simulator):
    add_tenants(people["viewer"], 30)
    client = login("viewer")
    every = client.get("/failures/", {"days": 0}).content.decode()
    assert "30 failed jobs" in every
    start = every.index('class="filters"')
    form = every[start : every.index("</form>", start)]
    assert "<select" not in form.replace('<select name="days"', "")  # no list of 30 tenants
    assert form.count("<option ") == PICKER_MAX + 5  # the picker's first few; the 5 periods
    one = client.get("/failures/", {"days": 0, "tenant": "Fleet 017"}).content.decode()
    assert "1 failed job " in one and 'value="fleet-017"' in one
    assert "fleet-017-failed" in one and "fleet-016-failed" not in one
    several = client.get("/failures/", {"days": 0, "tenant": "fleet 01"}).content.decode()
    assert "0 failed jobs" in several and 'id="triage-tenant-problem"' in several
    assert "None of your tenants, or more than one, matches “fleet 01”" in several
    assert simulator.calls() == 0


def test_the_overview_names_a_few_failing_syncs_and_counts_the_rest(login, people):
    made = add_tenants(people["viewer"], 8)
    failing = TenantSyncState.objects.filter(tenant__in=made)
    failing.update(failing_since=timezone.now(), error="DRS.0001 refused the signature")
    html = login("viewer").get("/").content.decode()
    assert html.count("is failing since") == fleet.FAILING_SHOWN
    assert "The syncs of 3 more tenants are failing too." in html


# -- no N+1: as many queries per page at 50 tenants as at 1 --------------------------------------


def queries_per_page(client, urls: dict[str, str]) -> dict[str, int]:
    counts = {}
    for name, url in urls.items():
        client.get(url)  # a first visit may remember things (the job list's filter)
        cache.clear()  # a cold render each time, nothing shared from before
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = len(captured)
    return counts


def test_the_fleet_pages_cost_as_many_queries_at_50_tenants_as_at_1(login, tenant, people):
    sync_tenant(tenant)
    now = timezone.now()
    MirroredJob.objects.create(  # a running job with a size class, whatever the simulator runs
        tenant=tenant,
        job_id=str(uuid.uuid4()),
        status="TRANSFERRING",
        size_class=14,
        create_time=now - timedelta(hours=3),
        first_seen_at=now,
        last_seen_at=now,
        synced_at=now,
    )
    job_id = MirroredJob.objects.filter(tenant=tenant, status="SUCCESS").values_list(
        "job_id", flat=True
    )[0]
    urls = {
        "overview": "/",
        "overview, sorted": "/?sort=running&dir=desc",
        "failures": "/failures/",
        "tenant list": "/tenants/",
        "job list": f"/tenants/{tenant.slug}/jobs/",
        "migrations": "/migrations/",
        "job page": f"/tenants/{tenant.slug}/jobs/{job_id}/",
    }
    client = login("viewer")
    client.get(urls["job page"])  # its first view stores the snapshot; then it is the mirror's
    at_one = queries_per_page(client, urls)
    add_tenants(people["viewer"], 49)
    at_fifty = queries_per_page(client, urls)
    print({name: (at_one[name], at_fifty[name]) for name in urls})
    assert at_fifty == at_one
