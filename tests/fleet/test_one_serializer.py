"""One serializer for the CLI and the web exports: `manage.py jobs list --json` (from DRS) and
the list's JSON and CSV exports (from the mirror) spell the same job, and its times, alike."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command

from jobs.sync.tenant import sync_tenant

pytestmark = pytest.mark.django_db
NAME = "one-serializer-probe"
CREATED = "2024-08-19T02:27:15.250Z"  # DRS may send fractions of a second


def body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_cli_json_and_web_exports_format_a_job_alike(login, tenant, simulator):
    job_id = simulator.add_live_job(600, name=NAME, create_time=CREATED)
    assert sync_tenant(tenant).ok
    out = io.StringIO()
    call_command("jobs", "list", tenant.slug, "--name", NAME, "--json", stdout=out)
    (from_cli,) = json.loads(out.getvalue())["jobs"]

    client = login("viewer")
    url = f"/tenants/{tenant.slug}/jobs/"
    (from_web,) = json.loads(body(client.get(url, {"name": NAME, "format": "json"})))["jobs"]
    (from_csv,) = csv.DictReader(
        io.StringIO(body(client.get(url, {"name": NAME, "format": "csv"})))
    )

    assert from_cli["id"] == job_id and from_cli["create_time"] == CREATED
    assert from_web == from_cli  # every field, as the list API names them
    assert from_csv.pop("duration_seconds").isdigit()
    assert from_csv == {key: value or "" for key, value in from_cli.items()}
