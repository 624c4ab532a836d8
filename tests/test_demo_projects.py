"""`make run`'s data: each demo tenant reads its own simulator project, so no job (finished or
running) shows under two tenants, and the overview counts each once."""

from __future__ import annotations

import argparse
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from jobs.mirror.models import MirroredJob
from jobs.notify.models import Channel, Rule
from jobs.simulator import Simulator, cli
from jobs.sync.tenant import sync_tenant
from jobs.tenants.models import Tenant

pytestmark = pytest.mark.django_db
MAKEFILE = Path(__file__).resolve().parents[1] / "Makefile"


def make_run_options() -> dict:
    """The simulator's options as `make run` passes them (read from the Makefile)."""
    text = MAKEFILE.read_text()
    jobs = re.search(r"^DEMO_EXTRA_PROJECT_JOBS \?= (\d+)$", text, re.MULTILINE).group(1)
    line = re.search(r"drs_simulator (.*?) &", text, re.DOTALL).group(1)
    args = line.replace("\\\n", " ").replace("$(SIMULATOR_PORT)", "0")
    args = args.replace("$(DEMO_EXTRA_PROJECT_JOBS)", jobs).split()
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    options = vars(parser.parse_args(args))
    options["no_keep_running"] = True  # the test's clock: no job started while it reads
    return options


@pytest.fixture
def make_run_data():
    options = make_run_options()
    assert options["extra_project_jobs"] >= 100  # the second tenant is not a stub
    server = Simulator(cli.config_from(options)).start()
    try:
        call_command("demo", simulator_url=server.url, log_channel=True, stdout=io.StringIO())
        tenants = list(Tenant.objects.order_by("slug"))
        for tenant in tenants:
            assert sync_tenant(tenant).ok, tenant.slug
        yield server, tenants
    finally:
        server.stop()


def test_no_job_id_appears_under_two_tenants(make_run_data):
    _server, tenants = make_run_data
    assert len({t.project_id for t in tenants}) == 2
    ids = {
        t.slug: set(MirroredJob.objects.filter(tenant=t).values_list("job_id", flat=True))
        for t in tenants
    }
    aksk, token = ids["demo-aksk"], ids["demo-token"]
    assert len(aksk) >= 150 and len(token) >= 300
    assert not aksk & token
    running = MirroredJob.objects.filter(status="TRANSFERRING")
    assert {r.tenant.slug for r in running} == {"demo-aksk", "demo-token"}  # live jobs in both
    assert running.values("job_id").distinct().count() == running.count()


def test_the_overview_lists_each_running_job_once(make_run_data, client):
    assert client.login(username="demo", password="drs-demo-2026")
    html = client.get("/").content.decode()
    table = html[html.index('id="running-table"') :]
    table = table[: table.index("</table>")]
    running = MirroredJob.objects.filter(status="TRANSFERRING")
    for job in running:
        assert table.count(f"/jobs/{job.job_id}/") == 1, job.job_id


def test_each_demo_tenant_logs_its_notifications(make_run_data):
    for slug in ("demo-token", "demo-aksk"):
        channel = Channel.objects.get(tenant__slug=slug, name="Server log")
        assert channel.kind == "log"
        events = set(Rule.objects.filter(channel=channel).values_list("event", flat=True))
        assert events == {
            "failed",
            "precheck_failed",
            "succeeded",
            "stalled",
            "awaiting_cutover",
            "database_online",
            "chain_blocked",
        }
    call_command("demo", simulator_url="http://127.0.0.1:1", log_channel=True, stdout=io.StringIO())
    assert Rule.objects.count() == 14  # run again (every `make run`): nothing doubles


def test_make_run_seeds_migrations_in_every_project_and_keeps_them_going():
    """The simulator as `make run` starts it: every project holds the seeded chains (one
    awaiting for days, one cut over, one blocked, a backup of two databases, one restoring),
    and live migrations advance in each while it runs (tests/simulator/test_live_migrations.py
    reads them as they go; tests/chains builds chains from the same seed)."""
    options = make_run_options()
    config = cli.config_from({**options, "no_keep_running": False})
    assert config.chains and config.keep_running_seconds
    server = Simulator(cli.config_from(options))
    try:
        for project_id, store in server.stores.items():
            names = {job["base_info"]["name"]: job for _job, job in store.views()}
            assert {
                "mig-sales-log-02",  # awaiting its next backup for three days
                "mig-ledger-cutover",
                "mig-billing-log-02",  # failed: the chain is blocked
                "mig-warehouse-claims-full",  # two databases in one backup
                "mig-catalog-log-01",  # restoring now
            } <= set(names), project_id
            assert names["mig-billing-log-02"]["status"] == "FAILED"
            assert names["mig-catalog-log-01"]["status"] == "TRANSFERRING"
            both = names["mig-warehouse-claims-full"]["options"]["db_names"]
            assert both == ["Warehouse", "Claims"]
    finally:
        server.stop()
