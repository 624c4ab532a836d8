"""The lookup box finds jobs and migrations by each key, from the mirror, ranked."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from jobs.mirror.models import Chain, MirroredJob
from jobs.tenants.models import Membership
from tests.chains.conftest import job_named
from tests.chains.test_chains import T
from tests.support import text_of


@pytest.fixture
def support(client, synced, django_user_model):
    user = django_user_model.objects.create_user("support", "s@example.com", "pw")
    Membership.objects.create(user=user, tenant=synced, role="viewer")
    client.force_login(user)
    return client


def hits(client, q: str) -> str:
    response = client.get("/jobs/lookup/", {"q": q})
    assert response.status_code == 200, text_of(response.content.decode())
    page = response.content.decode()
    return page[page.index('id="lookup-hits"') :]


def test_finds_jobs_by_partial_id_and_by_name(support, chain_sim):
    calls = chain_sim.calls()
    job_id = job_named(chain_sim, "mig-ledger-diff")
    assert f"/jobs/{job_id}/" in hits(support, job_id[:8])
    assert f"/jobs/{job_id}/" in hits(support, job_id[9:23])  # from the middle
    found = hits(support, "mig-ledger")
    assert found.index("mig-ledger-cutover") >= 0 and 'data-matched="name"' in found
    assert chain_sim.calls() == calls  # from the mirror only
    assert support.get("/jobs/lookup/", {"q": job_id[:7]}).status_code == 400  # too short


def test_finds_migrations_by_database_instance_and_bucket(support, synced):
    found = hits(support, "Ledger")
    assert f"/migrations/{T['Ledger']}/Ledger/" in found
    first = found.index("<li")
    assert (
        'data-kind="migration" data-matched="database"' in found[first : first + 80]
    )  # exact first
    assert f"/migrations/{T['Payments']}/Payments/" in hits(support, T["Payments"][:12])
    assert "Warehouse" in hits(support, "rds-crm-ent")
    bucket = hits(support, "mig-backups")
    assert 'data-matched="bucket"' in bucket


def test_a_full_unknown_id_still_asks_drs_and_outsiders_find_nothing(
    client, synced, django_user_model
):
    client.force_login(django_user_model.objects.create_user("x", "x@example.com", "pw"))
    assert client.get("/jobs/lookup/", {"q": "Ledger"}).status_code == 400
    missing = client.get("/jobs/lookup/", {"q": "0667845a-6291-4e2a-95b0-190c0abjb70x"})
    assert missing.status_code == 404


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="PostgreSQL only"
)
@pytest.mark.parametrize(
    ("model", "column"),
    [
        (MirroredJob, "name"),
        (MirroredJob, "job_id"),
        (Chain, "database"),
        (Chain, "target_instance_id"),
        (Chain, "instance_name"),
        (Chain, "bucket"),
    ],
)
def test_on_postgresql_each_key_is_searched_through_its_trigram_index(db, model, column):
    """The index (migration 0014) is over the very expression Django's icontains sends."""
    query = model.objects.filter(**{f"{column}__icontains": "ledger"}).values("pk")
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"{model._meta.db_table}_{column}_trgm" in plan, plan
