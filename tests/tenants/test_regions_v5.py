"""Which regions serve DRS v5 is documented for two only: the form and the connection test say
so, and a region without a regional IAM endpoint uses the global one."""

from __future__ import annotations

import pytest

from jobs.upstream.messages import connection_message
from jobs.upstream.single_flight import Outcome

pytestmark = pytest.mark.django_db


def test_the_region_picker_marks_documented_and_unconfirmed_regions(login):
    html = login("root").get("/tenants/new/").content.decode()
    assert "cn-south-2 — v5 documented" in html and "cn-south-4 — v5 documented" in html
    assert "ap-southeast-3 — v5 unconfirmed" in html
    assert "ap-southeast-3 — v5 documented" not in html


def test_a_working_connection_in_an_unconfirmed_region_says_so(make_tenant):
    tenant = make_tenant(drs_endpoint="", iam_endpoint="")
    message = connection_message(Outcome(12, None, None), tenant)
    assert message.startswith("Connected: 12 jobs") and "not documented to serve" in message
    tenant.region = "cn-south-2"
    assert "not documented" not in connection_message(Outcome(12, None, None), tenant)


def test_the_job_list_sorts_only_by_what_drs_documents(login, tenant):
    html = login("viewer").get(f"/tenants/{tenant.slug}/jobs/").content.decode()
    assert 'value="created_at"' in html and 'value="name"' in html
    assert 'value="inst_id"' not in html and 'value="description"' not in html
    bad = login("viewer").get(f"/tenants/{tenant.slug}/jobs/", {"sort": "inst_id"})
    assert bad.status_code == 400
