"""Chains built from the mirror, over real HTTP against the simulator's seeded migrations."""

from __future__ import annotations

from django.utils import timezone

from jobs.chains.present import present, tenant_chains
from jobs.mirror.models import Chain, ChainStep, MirroredJob
from jobs.sync.tenant import sync_tenant
from tests.chains.conftest import job_named

T = {
    "Sales": "0a3182607bc549bcb46cc9a8755761a6in04",
    "Ledger": "5c0e8d1f3a6b4e7c9d2f1a0b8c7e6d54in04",
    "Billing": "9b7a6c5d4e3f40a1b2c3d4e5f6a7b8c9in04",
    "Warehouse": "1f2e3d4c5b6a47989a0b1c2d3e4f5a6bin04",
    "Tickets": "7d8c9b0a1f2e43d5a6b7c8d9e0f1a2b3in04",
    "Payments": "3e4f5a6b7c8d49e0a1b2c3d4e5f6a7b8in04",
}


def chain(tenant, database: str, instance: str | None = None):
    instance = instance or T.get(database, T["Sales"])
    row = Chain.objects.get(tenant=tenant, database=database, target_instance_id=instance)
    return present(row, tenant, timezone.now(), steps=True)


def test_awaiting_for_days_is_stalled_and_says_since_when(synced):
    sales = chain(synced, "Sales")
    assert sales.state == "stalled" and sales.chain.state == "awaiting"
    assert [s.name for s in sales.steps] == [
        "mig-sales-full",
        "mig-sales-log-01",
        "mig-sales-log-02",
    ]
    assert "RESTORING (not readable) since" in sales.words and "stalled" in sales.words
    assert "is_last_backup=true" in sales.next_step


def test_a_threshold_longer_than_the_wait_keeps_it_awaiting(synced):
    synced.awaiting_threshold_hours = 24 * 5
    synced.save()
    assert chain(synced, "Sales").state == "awaiting"


def test_a_cutover_brings_the_database_online(synced):
    ledger = chain(synced, "Ledger")
    assert ledger.state == "online" and ledger.chain.steps == 4
    assert [s.last_backup for s in ledger.steps] == [False, False, False, True]
    assert ledger.steps[2].last_file.endswith(".bak") and "_DIFF_" in ledger.steps[2].last_file


def test_a_failed_log_restore_blocks_the_chain_at_its_step(synced):
    billing = chain(synced, "Billing")
    assert billing.state == "failed" and billing.chain.failed_step == 3
    assert "step 3" in billing.words
    assert "stays RESTORING at the last backup restored (step 2)" in billing.leaves
    assert billing.hint  # the hint for the LSN gap
    assert billing.steps[-1].hint == billing.hint


def test_a_backup_of_two_databases_is_in_two_chains(synced, chain_sim):
    job_id = job_named(chain_sim, "mig-warehouse-claims-full")
    steps = ChainStep.objects.filter(job__job_id=job_id, chain__tenant=synced)
    assert sorted(s.chain.database for s in steps) == ["Claims", "Warehouse"]
    for database in ("Warehouse", "Claims"):
        found = chain(synced, database, T["Warehouse"])
        assert found.state == "awaiting" and not found.chain.inferred  # two hours: not stalled


def test_names_read_from_file_names_are_marked_inferred(synced):
    tickets = chain(synced, "Tickets")
    assert tickets.chain.inferred and tickets.steps[0].inferred
    assert tickets.state == "online"
    assert tickets.as_json()["database_inferred"] is True
    assert not chain(synced, "Ledger").chain.inferred


def test_a_full_restore_with_overwrite_starts_the_chain_again(synced):
    payments = chain(synced, "Payments")
    assert payments.chain.runs == 2 and payments.chain.steps == 2
    assert [(s.run, s.position) for s in payments.steps] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert payments.as_json()["step_jobs"] == [s.job_id for s in payments.steps[2:]]
    assert payments.state == "awaiting"


def test_a_running_step_is_restoring(synced):
    catalog = chain(synced, "Catalog")
    assert catalog.state == "restoring" and catalog.chain.steps == 2
    assert catalog.steps[-1].status == "TRANSFERRING"


def test_a_job_deleted_in_drs_keeps_its_place_marked(synced, chain_sim):
    job_id = job_named(chain_sim, "mig-ledger-log-01")
    removed = chain_sim.store.job(job_id)
    chain_sim.store.remove(job_id)
    try:
        assert sync_tenant(synced, full=True).ok
    finally:
        chain_sim.store.add(removed)
    ledger = chain(synced, "Ledger")
    assert [s.deleted for s in ledger.steps] == [False, True, False, False]
    assert ledger.state == "online" and ledger.chain.steps == 4


def test_filters_by_state_instance_and_database(synced):
    assert {c.database for c in tenant_chains(synced, state="stalled")} >= {"Sales"}
    assert "Sales" not in {c.database for c in tenant_chains(synced, state="awaiting")}
    assert [c.database for c in tenant_chains(synced, database="ledg")] == ["Ledger"]
    by_instance = {c.database for c in tenant_chains(synced, instance="rds-crm-ent")}
    assert {"Warehouse", "Claims"} <= by_instance


def test_every_job_detail_was_known_and_no_job_without_a_target_is_placed(synced):
    assert not MirroredJob.objects.filter(tenant=synced, snapshot=None).alive().exists()
    assert ChainStep.objects.filter(chain__tenant=synced).count() > 20


def run_cli(*args: str) -> tuple[int, str, str]:
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    out, err = StringIO(), StringIO()
    try:
        call_command("migrations", *args, stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue(), str(error)
    return 0, out.getvalue(), err.getvalue()


def test_cli_lists_and_shows_from_the_presenter(synced, chain_sim):
    import json

    code, out, _ = run_cli("list", synced.slug, "--state", "stalled", "--json")
    assert code == 0
    listed = json.loads(out)
    sales = next(m for m in listed if m["database"] == "Sales")
    assert sales["tenant"] == synced.slug and sales["instance"] == T["Sales"]
    assert sales["state"] == "stalled" and sales["since"].endswith("Z")
    code, out, _ = run_cli("show", synced.slug, T["Sales"], "Sales", "--json")
    shown = json.loads(out)
    names = ["mig-sales-full", "mig-sales-log-01", "mig-sales-log-02"]
    assert shown["step_jobs"] == [job_named(chain_sim, n) for n in names]
    code, out, _ = run_cli("show", synced.slug, T["Billing"], "Billing")
    assert code == 0 and "Failed at step 3" in out and "mig-billing-log-02" in out
    assert run_cli("list", synced.slug, "--state", "bogus")[0] == 1
    assert run_cli("show", synced.slug, "nope", "Sales")[0] == 1
    assert run_cli("list", "no-such-tenant")[0] == 1
