"""The overview across tenants, and failures grouped by cause: one broken tenant breaks nothing."""

from __future__ import annotations

import csv
import io
import time
from collections import Counter

import pytest

from jobs.drs.models import normalise_status

pytestmark = pytest.mark.django_db


def store_counts(simulator) -> Counter:
    return Counter(
        normalise_status(simulator.store.get(i)["status"]) for i in simulator.store.ids()
    )


def test_counts_match_the_simulator(login, tenant, simulator):
    counts = store_counts(simulator)
    response = login("viewer").get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<dd>{sum(counts.values())}</dd>" in html
    for status in ("SUCCESS", "FAILED", "PRECHECK FAILED"):
        assert f'?status={status.replace(" ", "%20")}">{counts[status]}</a>' in html
    assert html.count("<rect ") > 0 and "Jobs created per day" in html


def test_second_load_is_served_from_the_cache(login, tenant, simulator):
    client = login("viewer")
    client.get("/")
    simulator.reset_counters()
    client.get("/")
    assert simulator.calls() == 0


def test_broken_and_slow_tenants_do_not_break_the_page(
    login, tenant, make_tenant, people, simulator, settings
):
    settings.OVERVIEW_TENANT_TIMEOUT = 1
    broken = make_tenant(
        "Broken", drs_endpoint="http://127.0.0.1:9", iam_endpoint="http://127.0.0.1:9"
    )
    slow = make_tenant("Slow", auth="aksk")
    for extra in (broken, slow):
        people["viewer"].memberships.create(tenant=extra, role="viewer")
    simulator.set_fault("delay", target="*", seconds=3, count=6)  # only the first tenant to ask
    started = time.monotonic()
    response = login("viewer").get("/")
    elapsed = time.monotonic() - started
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="tenant-card"') == 3
    assert "Could not reach the endpoint" in html  # the broken one
    assert html.count('role="alert"') >= 1
    assert elapsed < 8, elapsed


def test_failures_grouped_by_signature(login, tenant, simulator):
    response = login("viewer").get("/failures/", {"days": 0})
    assert response.status_code == 200
    html = response.content.decode()
    counts = store_counts(simulator)
    total = counts["FAILED"] + counts["PRECHECK FAILED"]
    assert f"{total} failed jobs" in html
    assert "<code>Msg 3201: Cannot open backup device" in html
    assert "The backup file could not be opened" in html
    exported = login("viewer").get("/failures/", {"days": 0, "format": "csv"})
    rows = list(
        csv.DictReader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig")))
    )
    assert len(rows) == total
    causes = {row["signature"].split(":")[0] for row in rows}
    assert causes >= {"Msg 3201", "Msg 4305"}
    assert all(row["tenant"] == tenant.slug for row in rows)


def test_failures_only_from_my_tenants(login, tenant, make_tenant, people):
    other = make_tenant("Other", auth="aksk")
    html = login("viewer").get("/failures/", {"tenant": other.slug}).content.decode()
    assert "0 failed jobs" in html  # not a member of Other: nothing from it
