"""The details back-fill keeps the budget and resumes; a chain's events reach a webhook once."""

from __future__ import annotations

from django.core.cache import cache

from jobs.chains.present import completeness
from jobs.mirror.models import JobEvent, JobSnapshot, MirroredJob
from jobs.notify import services
from jobs.sync.budget import permits_in_use
from jobs.sync.tenant import sync_tenant
from tests.chains.conftest import make_tenant
from tests.notify.conftest import SECRET_URL_TOKEN, drain
from tests.notify.conftest import _notify_settings as _notify_settings
from tests.notify.conftest import receiver as receiver


def test_backfill_keeps_the_budget_newest_first_and_resumes_after_a_restart(
    chain_sim, db, settings
):
    settings.SYNC_CALLS_PER_MINUTE = 12
    tenant = make_tenant(chain_sim, "Budget")
    load = sync_tenant(tenant)  # the first run is a bulk load of the list, no details
    assert load.ok and load.backfilled == 0
    cache.clear()  # a minute later
    first = sync_tenant(tenant)
    assert first.ok and first.backfill_paused and first.backfilled > 0
    assert permits_in_use(tenant.pk) <= 12 - 3  # a quarter of the minute is left over
    rows = MirroredJob.objects.filter(tenant=tenant).alive()
    known = rows.exclude(snapshot=None)
    assert 0 < known.count() < rows.count()
    newest_unknown = rows.filter(snapshot=None).order_by("-create_time").first()
    assert all(r.create_time >= newest_unknown.create_time for r in known)  # newest first
    picture = completeness([tenant], 12)
    assert not picture.complete and picture.eta is not None
    assert f"{picture.known} of {picture.total}" in picture.words()
    fetched = dict(JobSnapshot.objects.filter(tenant=tenant).values_list("job_id", "fetched_at"))

    cache.clear()  # a restart a minute later: the permits have lapsed, the mirror stays
    for _ in range(10):
        assert sync_tenant(tenant).ok
        cache.clear()
        if not rows.filter(snapshot=None).exists():
            break
    assert not rows.filter(snapshot=None).exists()
    again = dict(JobSnapshot.objects.filter(tenant=tenant).values_list("job_id", "fetched_at"))
    unchanged = [job_id for job_id, at in fetched.items() if again[job_id] == at]
    finished = set(rows.finished().values_list("job_id", flat=True))
    assert set(fetched) & finished <= set(unchanged)  # a finished job's detail: fetched once
    assert completeness([tenant], 12).complete


def test_awaiting_cutover_reaches_a_webhook_exactly_once(chain_sim, transactional_db, receiver):
    tenant = make_tenant(chain_sim, "Hooks")
    path = f"/cutover?token={SECRET_URL_TOKEN}"
    channel, secret = services.add_channel(
        tenant, "cutover", f"{receiver.url}/cutover?token={SECRET_URL_TOKEN}", actor_name="t"
    )
    receiver.secrets[path] = secret
    services.add_rule(tenant, "awaiting_cutover", channel, actor_name="t")
    for _ in range(3):
        assert sync_tenant(tenant).ok
    drain()
    drain()
    events = JobEvent.objects.filter(tenant=tenant, kind="awaiting_cutover")
    databases = [e.detail["database"] for e in events]
    assert databases.count("Sales") == 1 and "Warehouse" not in databases  # 2 h: not yet
    assert receiver.bad_signatures == 0
    messages = receiver.at(path)
    assert len(messages) == len(databases)  # one message per database awaiting too long
    assert {m["event"] for m in messages} == {"awaiting_cutover"}
    sales = JobEvent.objects.get(tenant=tenant, kind="awaiting_cutover", detail__database="Sales")
    assert [m["job"]["id"] for m in messages].count(sales.job.job_id) == 1
    (said,) = [m for m in messages if m.get("database") == "Sales"]
    assert said["url"].endswith(f"/tenants/{tenant.slug}/migrations/{said['instance']}/Sales/")


def test_rules_for_chain_events_from_the_cli_and_the_digest_counts_databases(synced):
    from io import StringIO

    from django.core.management import call_command

    from jobs.notify.digest import tenant_summary
    from jobs.notify.models import Rule

    services.add_channel(synced, "log", "json://127.0.0.1:9/x", actor_name="t")
    for event in ("awaiting-cutover", "database-online", "chain-blocked"):
        call_command(
            "notify",
            "rule-add",
            synced.slug,
            "--event",
            event,
            "--channel",
            "log",
            stdout=StringIO(),
        )
    assert set(Rule.objects.filter(tenant=synced).values_list("event", flat=True)) == {
        "awaiting_cutover",
        "database_online",
        "chain_blocked",
    }
    databases = tenant_summary(synced, synced.created_at, "UTC")["databases"]
    assert databases["stalled"] >= 1 and databases["online"] >= 2 and databases["failed"] >= 1
