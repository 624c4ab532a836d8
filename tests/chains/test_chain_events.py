"""A migration's events over real HTTP: the simulator restores the next step of a chain, the
sync sees it end, and "database online", "step failed: chain blocked" and "awaiting cutover"
each reach a webhook rule once per occurrence, the watchers of any step of the chain, and the
digest. Each test drives a database of its own in this module's simulator."""

from __future__ import annotations

import time
from datetime import timedelta

from django.utils import timezone

from jobs.mirror import chains
from jobs.mirror.models import Chain, JobEvent, MirroredJob
from jobs.notify import services
from jobs.notify.digest import tenant_summary
from jobs.notify.models import Delivery, Watch
from jobs.sync.tenant import sync_tenant
from jobs.tenants.models import Membership
from tests.chains.conftest import job_named, make_tenant
from tests.notify.conftest import SECRET_URL_TOKEN, drain
from tests.notify.conftest import _notify_settings as _notify_settings
from tests.notify.conftest import receiver as receiver

T = {
    "Sales": "0a3182607bc549bcb46cc9a8755761a6in04",
    "Warehouse": "1f2e3d4c5b6a47989a0b1c2d3e4f5a6bin04",
    "Payments": "3e4f5a6b7c8d49e0a1b2c3d4e5f6a7b8in04",
}


def synced_tenant(sim, name: str):
    tenant = make_tenant(sim, name)
    for _ in range(6):
        assert sync_tenant(tenant).ok
        if not MirroredJob.objects.filter(tenant=tenant, snapshot=None).alive().exists():
            return tenant
    raise AssertionError("details not complete")


def hook(tenant, receiver, event: str) -> str:
    path = f"/{event}?token={SECRET_URL_TOKEN}"
    channel, secret = services.add_channel(tenant, event, receiver.url + path, actor_name="t")
    receiver.secrets[path] = secret
    services.add_rule(tenant, event, channel, actor_name="t")
    return path


def watcher(tenant, django_user_model, sim, step_name: str):
    user = django_user_model.objects.create_user(f"w-{step_name}", f"{step_name}@example.com")
    Membership.objects.create(user=user, tenant=tenant, role="viewer")
    Watch.objects.create(user=user, tenant=tenant, job_id=job_named(sim, step_name))
    return user


def run_step(sim, tenant, database: str, kind: str, outcome: str, name: str) -> str:
    """The simulator restores the step; the sync sees it start and end, then runs twice more."""
    job_id = sim.add_chain_step(
        database, kind, 0.6, outcome, name=name, target_instance_id=T[database]
    )
    assert sync_tenant(tenant).ok
    assert Chain.objects.get(tenant=tenant, database=database).state == "restoring"
    time.sleep(0.8)
    for _ in range(3):
        assert sync_tenant(tenant).ok
    return job_id


def test_a_cutover_reaches_a_webhook_once_and_the_chains_watchers(
    chain_sim, transactional_db, receiver, django_user_model
):
    tenant = synced_tenant(chain_sim, "Online")
    path = hook(tenant, receiver, "database_online")
    dba = watcher(tenant, django_user_model, chain_sim, "mig-payments-full-again")  # a step
    cutover = run_step(chain_sim, tenant, "Payments", "cutover", "SUCCESS", "mig-payments-cut")
    assert Chain.objects.get(tenant=tenant, database="Payments").state == "online"

    (event,) = JobEvent.objects.filter(tenant=tenant, kind="database_online")
    assert event.job.job_id == cutover and event.detail["database"] == "Payments"
    drain()
    (message,) = receiver.at(path)
    assert receiver.bad_signatures == 0
    assert message["event"] == "database_online" and message["database"] == "Payments"
    assert message["job"]["id"] == cutover and message["instance"] == T["Payments"]
    watched = Delivery.objects.filter(source="watch", kind="database_online")
    assert list(watched.values_list("user", flat=True)) == [dba.pk]

    digest = tenant_summary(tenant, timezone.now() - timedelta(days=1), "UTC")
    said = [(m["what"], m["database"]) for m in digest["migrations"]]
    assert ("Database online", "Payments") in said
    assert all(m["link"].endswith(f"/{m['database']}/") for m in digest["migrations"])


def test_a_failed_step_blocks_the_chain_once_per_failure_with_its_cause(
    chain_sim, transactional_db, receiver, django_user_model
):
    tenant = synced_tenant(chain_sim, "Blocked")
    path = hook(tenant, receiver, "chain_blocked")
    dba = watcher(tenant, django_user_model, chain_sim, "mig-sales-full")
    first = run_step(chain_sim, tenant, "Sales", "log", "FAILED", "mig-sales-log-03")
    sales = Chain.objects.get(tenant=tenant, database="Sales")
    assert sales.state == "failed" and sales.failed_step == 4
    drain()
    (message,) = receiver.at(path)
    assert message["event"] == "chain_blocked" and message["job"]["id"] == first
    assert message["database"] == "Sales" and message["error"] and message["hint"]

    # Retried with the same log backup, and it fails again: a second occurrence, said once.
    again = run_step(chain_sim, tenant, "Sales", "log", "FAILED", "mig-sales-log-03-retry")
    drain()
    assert [m["job"]["id"] for m in receiver.at(path)] == [first, again]
    assert JobEvent.objects.filter(tenant=tenant, kind="chain_blocked").count() == 2
    watched = Delivery.objects.filter(source="watch", kind="chain_blocked", user=dba)
    assert watched.count() == 2

    digest = tenant_summary(tenant, timezone.now() - timedelta(days=1), "UTC")
    blocked = [m for m in digest["migrations"] if m["what"] == "Step failed: chain blocked"]
    assert [m["database"] for m in blocked] == ["Sales", "Sales"]


def test_each_wait_past_the_threshold_is_said_once(
    chain_sim, transactional_db, receiver, django_user_model
):
    tenant = synced_tenant(chain_sim, "Waiting")
    path = hook(tenant, receiver, "awaiting_cutover")
    watcher(tenant, django_user_model, chain_sim, "mig-warehouse-claims-full")
    later = timezone.now() + timedelta(hours=25)  # Warehouse has waited two hours
    assert chains.mark_awaiting(tenant, later) >= 2  # Warehouse and Claims (Payments alone)
    assert chains.mark_awaiting(tenant, later) == 0
    flagged = JobEvent.objects.filter(tenant=tenant, kind="awaiting_cutover")
    assert {"Warehouse", "Claims"} <= {e.detail["database"] for e in flagged}

    step = run_step(chain_sim, tenant, "Warehouse", "log", "SUCCESS", "mig-warehouse-log-01")
    warehouse = Chain.objects.get(tenant=tenant, database="Warehouse")
    assert warehouse.state == "awaiting" and warehouse.awaiting_flagged_at is None
    assert chains.mark_awaiting(tenant, timezone.now()) == 0  # a new wait, minutes old
    assert chains.mark_awaiting(tenant, timezone.now() + timedelta(hours=25)) == 1
    assert chains.mark_awaiting(tenant, timezone.now() + timedelta(hours=26)) == 0

    drain()
    said = [
        (m["database"], m["job"]["id"])
        for m in receiver.at(path)
        if m["database"] in ("Warehouse", "Claims")
    ]
    full = job_named(chain_sim, "mig-warehouse-claims-full")
    assert sorted(said) == sorted([("Claims", full), ("Warehouse", full), ("Warehouse", step)])
    watched = Delivery.objects.filter(source="watch", kind="awaiting_cutover")
    databases = sorted(d.event.detail["database"] for d in watched)
    assert databases == ["Claims", "Warehouse", "Warehouse"]  # the watched step is in both


def test_a_finished_step_of_a_migration_not_yet_online_can_be_watched(chain_sim, db, client):
    from django.contrib.auth import get_user_model

    tenant = synced_tenant(chain_sim, "Watchers")
    viewer = get_user_model().objects.create_user("dba", "dba@example.com")
    Membership.objects.create(user=viewer, tenant=tenant, role="viewer")
    client.force_login(viewer)
    stalled = job_named(chain_sim, "mig-sales-full")  # Sales awaits its next backup for days
    page = client.get(f"/tenants/{tenant.slug}/jobs/{stalled}/").content.decode()
    assert 'id="watch-migration"' in page and "Watch this migration" in page
    client.post(f"/tenants/{tenant.slug}/jobs/{stalled}/watch/")
    assert Watch.objects.filter(user=viewer, job_id=stalled).exists()
    page = client.get(f"/tenants/{tenant.slug}/jobs/{stalled}/").content.decode()
    assert 'aria-pressed="true"' in page

    online = job_named(chain_sim, "mig-ledger-cutover")  # Ledger is online: nothing to watch
    page = client.get(f"/tenants/{tenant.slug}/jobs/{online}/").content.decode()
    assert 'id="watch-finished"' in page and "Watch this migration" not in page
    client.post(f"/tenants/{tenant.slug}/jobs/{online}/watch/")
    assert not Watch.objects.filter(user=viewer, job_id=online).exists()


def test_a_quiet_tenant_is_told_by_the_notifiers_periodic_run(
    chain_sim, transactional_db, receiver
):
    from jobs.notify.outbox import enqueue_periodic

    tenant = synced_tenant(chain_sim, "Quiet")
    path = hook(tenant, receiver, "awaiting_cutover")
    before = set(JobEvent.objects.filter(tenant=tenant, kind="awaiting_cutover"))
    later = timezone.now() + timedelta(hours=25)  # no sync runs: nothing changes in DRS
    enqueue_periodic(later)
    enqueue_periodic(later + timedelta(minutes=1))
    new = set(JobEvent.objects.filter(tenant=tenant, kind="awaiting_cutover")) - before
    assert {"Warehouse", "Claims"} <= {e.detail["database"] for e in new}
    drain()
    told = [m["database"] for m in receiver.at(path)]
    assert told.count("Warehouse") == 1 and told.count("Claims") == 1
