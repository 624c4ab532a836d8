"""Any input gives a 4xx with a message or a 200 (or a redirect), never a 500: property-based tests
over every query parameter and form field of every page, for users east and west of UTC.

Strings are drawn from all of Unicode (NUL, controls, bidi, astral) plus values that have broken
things before: dates at the edge of the calendar, huge numbers, NUL. Examples are kept modest so
the suite stays fast; run with HYPOTHESIS_PROFILE=fuzz-long for a deeper search.
"""

from __future__ import annotations

import os

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as profiles
from hypothesis import strategies as st

from jobs.tenants.models import Membership
from jobs.web.middleware import TZ_COOKIE
from tests.support import EXAMPLE_ID

pytestmark = pytest.mark.django_db

profiles.register_profile(
    "fuzz",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
profiles.register_profile("fuzz-long", parent=profiles.get_profile("fuzz"), max_examples=1000)
FUZZ = profiles.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "fuzz"))

EDGES = [
    "",
    " ",
    "0",
    "-1",
    "1",
    "00",
    "0001-01-01",
    "9999-12-31",
    "1-1-1",
    "2026-02-30",
    "\x00",
    "a\x00b",
    "٣",
    "１２",
    "9" * 30,
    "1e309",
    "NaN",
    "-0",
    "%00",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "\u202eabc",
    "💥",
    "true",
    "[]",
    "{}",
    "null",
    "a" * 5000,
    "FAILED",
    "SUCCESS",
    "created_at",
    "asc",
    "desc",
    "csv",
    "json",
    "zh-hans",
    "UTC",
    "Pacific/Kiritimati",
    "admin",
    "viewer",
    "root",
    EXAMPLE_ID,
]
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
VALUE = st.one_of(st.sampled_from(EDGES), TEXT)
ZONES = st.sampled_from(
    ["Asia/Shanghai", "Etc/GMT-14", "Etc/GMT+12", "Pacific/Kiritimati", "UTC", "", "Nope/Zone"]
)


def params(*names: str):
    return st.dictionaries(st.sampled_from(names), VALUE, max_size=len(names))


def check(response) -> None:
    assert response.status_code < 500, response.content[:2000]


@pytest.fixture
def as_user(people):
    """A fresh client signed in as `who`, in time zone `zone`, with the counters cleared."""

    def make(who: str, zone: str = "") -> Client:
        cache.clear()
        client = Client()
        if people[who] is not None:
            client.force_login(people[who])
        if zone:
            client.cookies[TZ_COOKIE] = zone
        return client

    return make


# -- query parameters of every GET page ------------------------------------------------------

LIST = (
    "status",
    "name",
    "created_from",
    "completed_from",
    "instance",
    "tags",
    "sort",
    "dir",
    "size",
    "page",
    "format",
    "reset",
    "refresh",
)


@FUZZ
@given(query=params(*LIST), zone=ZONES, htmx=st.booleans())
def test_job_list(as_user, tenant, query, zone, htmx):
    extra = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "job-table"} if htmx else {}
    check(as_user("viewer", zone).get(f"/tenants/{tenant.slug}/jobs/", query, **extra))


@FUZZ
@given(query=params("tenant", "days", "format", "q", "page", "sort", "dir", "u"), zone=ZONES)
def test_overview_and_failures(as_user, tenant, query, zone):
    client = as_user("viewer", zone)
    check(client.get("/", query))
    check(client.get("/", query, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="fleet"))
    check(client.get("/failures/", query))


@FUZZ
@given(query=params("q", "tenant", "job"), htmx=st.booleans())
def test_tenant_search(as_user, tenant, query, htmx):
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    check(as_user("viewer").get("/jobs/lookup/tenants/", query, **extra))


@FUZZ
@given(query=params("errors", "refresh", "seen"), live=st.booleans(), zone=ZONES)
def test_job_page(as_user, tenant, query, live, zone):
    extra = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "job-live"} if live else {}
    check(as_user("viewer", zone).get(f"/tenants/{tenant.slug}/jobs/{EXAMPLE_ID}/", query, **extra))


@FUZZ
@given(query=params("tenant", "q"))
def test_lookup(as_user, tenant, query):
    check(as_user("viewer").get("/jobs/lookup/", query))


@FUZZ
@given(query=params("tenant", "actor", "action", "since", "until", "page"), zone=ZONES)
def test_audit_log(as_user, tenant, query, zone):
    check(as_user("admin", zone).get("/audit/", query))
    check(as_user("root", zone).get("/audit/", query))


@FUZZ
@given(query=params("next", "page", "q"))
def test_plain_pages(as_user, tenant, query):
    check(as_user("anonymous").get("/accounts/login/", query))
    check(as_user("anonymous").get("/healthz", query))
    client = as_user("admin")
    for url in (
        "/tenants/",
        f"/tenants/{tenant.slug}/",
        f"/tenants/{tenant.slug}/members/",
        "/accounts/preferences/",
        "/accounts/password_change/",
    ):
        check(client.get(url, query))


# -- form fields of every form ----------------------------------------------------------------

TENANT_FIELDS = (
    "name",
    "region",
    "project_id",
    "auth_method",
    "iam_domain",
    "iam_user",
    "access_key",
    "language",
    "enterprise_project_id",
    "drs_endpoint",
    "iam_endpoint",
    "password",
    "secret_key",
)


@FUZZ
@given(data=params("username", "password", "next"))
def test_login_form(as_user, people, data):
    check(as_user("anonymous").post("/accounts/login/", data))


@FUZZ
@given(data=params("time_zone", "language", "old_password", "new_password1", "new_password2"))
def test_account_forms(as_user, people, data):
    client = as_user("viewer")
    check(client.post("/accounts/preferences/", data))
    check(client.post("/accounts/password_change/", data))


@FUZZ
@given(data=params(*TENANT_FIELDS), guarded=st.booleans())
def test_tenant_forms(as_user, tenant, data, guarded, settings):
    settings.DRS_ALLOW_CUSTOM_ENDPOINTS = not guarded
    client = as_user("root")
    check(client.post("/tenants/new/", data))
    check(client.post(f"/tenants/{tenant.slug}/edit/", data))
    check(client.post(f"/tenants/{tenant.slug}/test-connection/", data))
    check(client.post("/tenants/new/test-connection/", data))


@FUZZ
@given(data=params("username", "role", "remove"))
def test_member_forms(as_user, people, tenant, data):
    client = as_user("admin")
    check(client.post(f"/tenants/{tenant.slug}/members/", data))
    member = Membership.objects.filter(tenant=tenant, user=people["viewer"]).first()
    if member:
        check(client.post(f"/tenants/{tenant.slug}/members/{member.pk}/", data))


# -- the inputs the issue names ---------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Asia/Shanghai", "Etc/GMT+12"])
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_edge_of_calendar_filters_are_form_errors(as_user, tenant, zone, day):
    for field in ("created_from", "completed_from"):
        response = as_user("viewer", zone).get(f"/tenants/{tenant.slug}/jobs/", {field: day})
        assert response.status_code == 400
        assert "Choose a date between" in response.content.decode()


def test_a_saved_edge_date_then_a_zone_change(as_user, people, tenant):
    """A filter remembered while it worked (0001-01-01 in UTC, saved by an older version), read
    back after the user moved east of UTC, where that midnight falls before year 1."""
    from jobs.accounts.models import UserPreference

    UserPreference.objects.update_or_create(
        user=people["viewer"], defaults={"list_filters": {tenant.slug: "created_from=0001-01-01"}}
    )
    response = as_user("viewer", "Asia/Shanghai").get(f"/tenants/{tenant.slug}/jobs/", follow=True)
    check(response)
    assert response.redirect_chain  # the saved filter was used
    assert "Choose a date between" in response.content.decode()


def test_nul_in_usernames_never_reaches_the_database(as_user, people):
    from jobs.tenants.models import AuditEvent

    client = as_user("anonymous")
    for _ in range(6):
        check(client.post("/accounts/login/", {"username": "vie\x00wer", "password": "x"}))
        check(client.post("/accounts/login/", {"username": "viewer", "password": "x\x00"}))
    for _ in range(6):
        client.post("/accounts/login/", {"username": "viewer", "password": "wrong"})
    check(client.post("/accounts/login/", {"username": "viewer\x00", "password": "x"}))
    stored = repr(list(AuditEvent.objects.values()))
    assert "\x00" not in stored and "\\x00" not in stored
