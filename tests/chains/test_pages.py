"""The migration pages, rendered from a mirror the sync filled over HTTP from the simulator."""

from __future__ import annotations

import json

import pytest

from jobs.tenants.models import Membership
from tests.chains.conftest import job_named
from tests.chains.test_chains import T
from tests.support import text_of


@pytest.fixture
def viewer(client, synced, django_user_model):
    user = django_user_model.objects.create_user("dba", "dba@example.com", "pw")
    Membership.objects.create(user=user, tenant=synced, role="viewer")
    client.force_login(user)
    return client


def test_the_overview_counts_databases_by_state_and_follows_the_period(viewer, synced):
    week = text_of(viewer.get("/migrations/?period=week").content.decode())
    month = viewer.get("/migrations/?period=month")
    assert month.status_code == 200
    today = viewer.get("/migrations/?period=today").content.decode()
    custom = viewer.get("/migrations/?period=custom&from=2000-01-01&to=2000-12-31")
    assert 'data-state="total">0<' in custom.content.decode()  # nothing then
    wide = viewer.get("/migrations/?period=custom&from=2020-01-01&to=2030-12-31").content.decode()
    assert 'data-state="stalled">' in wide and "Sales" not in wide  # counts, not names
    assert "Restore volume per day" in week and "an estimate" in week
    assert 'id="chart-online-table"' in today and 'id="chart-ages-table"' in today
    for bad in ("period=custom&from=nonsense&to=2020-13-45", "period=%00", "from=9999-99-99"):
        assert viewer.get(f"/migrations/?{bad}").status_code == 200  # falls back to this week
    exported = viewer.get("/migrations/?period=custom&from=2020-01-01&to=2030-12-31&format=json")
    body = json.loads(b"".join(exported.streaming_content))
    (row,) = body["tenants"]
    assert row["tenant"] == synced.slug and row["stalled"] >= 1 and row["online"] >= 2
    assert row["total"] == sum(
        row[s] for s in ("restoring", "awaiting", "stalled", "online", "failed")
    )


def test_a_tenants_migrations_filter_by_state_instance_and_database(viewer, synced):
    url = f"/tenants/{synced.slug}/migrations/"
    page = viewer.get(url + "?state=failed").content.decode()
    assert "Billing" in page and "Ledger" not in page
    page = text_of(viewer.get(url + "?database=tick").content.decode())
    assert "Tickets" in page and "inferred" in page
    page = viewer.get(url + "?instance=rds-crm-ent-2017").content.decode()
    assert "Warehouse" in page and "Claims" in page and "Billing" not in page
    assert viewer.get(url + "?state=<script>").status_code == 200


def test_a_migration_shows_its_timeline_state_and_next_step(viewer, synced):
    page = text_of(
        viewer.get(f"/tenants/{synced.slug}/migrations/{T['Billing']}/Billing/").content.decode()
    )
    assert "Failed at step 3" in page and "stays RESTORING" in page
    assert page.index("mig-billing-full") < page.index("mig-billing-log-02")
    assert "Next step:" in page
    missing = viewer.get(f"/tenants/{synced.slug}/migrations/{T['Billing']}/Nope/")
    assert missing.status_code == 404


def test_the_job_page_names_its_database_and_links_its_neighbours(viewer, synced, chain_sim):
    middle = job_named(chain_sim, "mig-sales-log-01")
    page = viewer.get(f"/tenants/{synced.slug}/jobs/{middle}/").content.decode()
    assert "Step 2 of 3 of" in page
    assert f"/tenants/{synced.slug}/migrations/{T['Sales']}/Sales/" in page
    assert f'/jobs/{job_named(chain_sim, "mig-sales-full")}/" rel="prev"' in page
    assert f'/jobs/{job_named(chain_sim, "mig-sales-log-02")}/" rel="next"' in page
    running = job_named(chain_sim, "mig-catalog-log-01")
    page = text_of(viewer.get(f"/tenants/{synced.slug}/jobs/{running}/").content.decode())
    assert "Running for" in page and "Step 2 of 2 of Catalog" in page


def test_outsiders_see_nothing(client, synced, django_user_model):
    client.force_login(django_user_model.objects.create_user("other", "o@example.com", "pw"))
    assert client.get(f"/tenants/{synced.slug}/migrations/").status_code == 404
    assert client.get(f"/tenants/{synced.slug}/migrations/{T['Sales']}/Sales/").status_code == 404
    page = client.get("/migrations/?format=json")
    assert json.loads(b"".join(page.streaming_content))["tenants"] == []


def test_the_overview_headlines_are_databases(viewer, synced):
    page = viewer.get("/").content.decode()
    counts = page[
        page.index('id="database-counts"') : page.index("</dl>", page.index('id="database-counts"'))
    ]
    assert "Databases online" in counts and "/migrations/?period=all" in counts
    assert f"/tenants/{synced.slug}/jobs/" in page  # the jobs one click away


def test_the_overview_pages_its_tenants_and_finds_one_while_totals_cover_all(
    viewer, synced, chain_sim, django_user_model
):
    from tests.chains.conftest import make_tenant

    user = django_user_model.objects.get(username="dba")
    for n in range(55):  # 56 tenants: two pages of 50
        other = make_tenant(chain_sim, f"Zeta {n:02d}")
        Membership.objects.create(user=user, tenant=other, role="viewer")
    everything = viewer.get("/migrations/?period=all").content.decode()
    total = everything.split('data-state="total">', 1)[1].split("<", 1)[0]
    assert int(total) >= 9  # the synced tenant's databases, wherever its row is
    assert "page 1 of 2" in text_of(everything)
    rows = everything.split('id="by-tenant"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert rows.count("<tr>") == 50 and synced.name in rows  # by name: "Migrations" first
    second = viewer.get("/migrations/?period=all&page=2").content.decode()
    rows = second.split('id="by-tenant"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert rows.count("<tr>") == 6 and "Zeta 54" in rows
    assert f'data-state="total">{total}<' in second  # the totals do not follow the page
    found = viewer.get("/migrations/?period=all&q=zeta 0").content.decode()
    rows = found.split('id="by-tenant"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert rows.count("<tr>") == 10 and synced.name not in rows
    assert "10 tenants match" in text_of(found) and f'data-state="total">{total}<' in found
    assert 'href="/migrations/?period=all&amp;q=zeta+0&amp;page=2"' not in found  # one page
    export = viewer.get("/migrations/?period=all&format=json")
    assert len(json.loads(b"".join(export.streaming_content))["tenants"]) == 56
