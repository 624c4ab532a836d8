"""The read API and personal tokens: a token reads exactly what its owner may read, the jobs
endpoint mirrors the list page, one job is the page's shared live read, errors are JSON with a
code and a message, the rate limit holds, the schema validates, and no token leaks."""

from __future__ import annotations

import hashlib
import io
import logging
import re
import sys
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django.views.debug import ExceptionReporter
from openapi_spec_validator import validate

from jobs.api import tokens
from jobs.api.models import ApiToken
from jobs.fleet import selectors
from jobs.sync.tenant import sync_tenant
from jobs.tenants.models import AuditEvent, Membership
from tests.support import EXAMPLE_ID

pytestmark = pytest.mark.django_db


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def synced(tenant, simulator):
    assert sync_tenant(tenant).ok
    simulator.reset_counters()
    return tenant


@pytest.fixture
def viewer_token(people):
    return tokens.create(people["viewer"], "script")[1]


# -- tokens ------------------------------------------------------------------------------------


def test_a_token_made_on_the_page_is_shown_once_and_stored_hashed(login):
    client = login("viewer")
    made = client.post("/accounts/tokens/", {"name": "nightly", "access": "read", "days": "30"})
    assert made.status_code == 201 and "no-store" in made["Cache-Control"]
    secret = re.search(
        r'<code id="new-token">(drs_[A-Za-z0-9_-]{43})</code>', made.content.decode()
    )
    assert secret, made.content.decode()
    secret = secret.group(1)
    token = ApiToken.objects.get(name="nightly")
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert token.read_only and secret not in str(ApiToken.objects.values().get())
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    listing = client.get("/accounts/tokens/").content.decode()
    assert secret not in listing and token.prefix in listing and "never" in listing
    client.get("/api/v1/tenants", **bearer(secret))
    assert "never" not in client.get("/accounts/tokens/").content.decode()  # last use shown
    event = AuditEvent.objects.get(action="token_created")
    assert event.actor.username == "viewer" and event.detail["token"] == "nightly"
    assert secret not in str(event.detail)


def test_a_name_is_used_once_per_person_and_the_expiry_is_capped(login, settings):
    settings.API_TOKEN_MAX_DAYS = 30
    client = login("viewer")
    client.post("/accounts/tokens/", {"name": "ci", "access": "read", "days": "7"})
    again = client.post("/accounts/tokens/", {"name": "ci", "access": "read", "days": "7"})
    assert again.status_code == 400 and "already has a token named" in again.content.decode()
    too_long = client.post("/accounts/tokens/", {"name": "x", "access": "read", "days": "31"})
    assert too_long.status_code == 400
    assert ApiToken.objects.count() == 1


def test_revoked_and_expired_tokens_and_inactive_owners_read_nothing(client, people, tenant):
    token, secret = tokens.create(people["viewer"], "t")
    assert client.get("/api/v1/tenants", **bearer(secret)).status_code == 200
    people["viewer"].is_active = False
    people["viewer"].save()
    assert client.get("/api/v1/tenants", **bearer(secret)).status_code == 401
    people["viewer"].is_active = True
    people["viewer"].save()
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    assert client.get("/api/v1/tenants", **bearer(secret)).status_code == 401
    token2, secret2 = tokens.create(people["viewer"], "t2")
    tokens.revoke(token2, via="test")
    response = client.get("/api/v1/tenants", **bearer(secret2))
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert response.json() == {
        "error": {
            "code": "unauthorized",
            "message": "Send a live API token: Authorization: Bearer …",
        }
    }


def test_admins_see_and_revoke_the_tokens_of_their_tenants_members(login, people, tenant):
    viewers, secret = tokens.create(people["viewer"], "viewer-script")
    outsiders, _ = tokens.create(people["outsider"], "outsider-script")
    client = login("admin")
    page = client.get(f"/tenants/{tenant.slug}/tokens/").content.decode()
    assert "viewer-script" in page and "outsider-script" not in page
    gone = client.post(f"/tenants/{tenant.slug}/tokens/{outsiders.pk}/revoke/")
    assert gone.status_code == 404
    done = client.post(f"/tenants/{tenant.slug}/tokens/{viewers.pk}/revoke/")
    assert done.status_code == 302
    viewers.refresh_from_db()
    assert viewers.revoked_at and viewers.revoked_by == "admin"
    assert client.get("/api/v1/tenants", **bearer(secret)).status_code == 401
    event = AuditEvent.objects.get(action="token_revoked")
    assert event.actor == people["admin"] and event.detail["owner"] == "viewer"
    assert login("operator").get(f"/tenants/{tenant.slug}/tokens/").status_code == 403


def test_the_cli_prints_the_token_on_its_last_line_and_revokes_it(client, people, tenant):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "token", "create", "viewer", "deploy", "--read-only", "--days", "3", stdout=out, stderr=err
    )
    secret = out.getvalue().strip().splitlines()[-1]
    assert secret.startswith("drs_") and secret not in err.getvalue()
    assert "read-only" in err.getvalue()
    assert client.get("/api/v1/tenants", **bearer(secret)).json()[0]["slug"] == tenant.slug
    call_command("token", "revoke", "viewer", "deploy", stdout=io.StringIO())
    assert client.get("/api/v1/tenants", **bearer(secret)).status_code == 401
    actions = AuditEvent.objects.filter(actor_name="cli").values_list("action", flat=True)
    assert sorted(actions) == ["token_created", "token_revoked"]
    call_command("token", "create", "viewer", "ops", stdout=io.StringIO(), stderr=io.StringIO())
    assert not ApiToken.objects.get(
        name="ops"
    ).read_only  # as the issue has it: --read-only opts in
    listing = io.StringIO()
    call_command("token", "list", "viewer", stdout=listing)
    assert "deploy" in listing.getvalue() and "revoked" in listing.getvalue()
    assert secret not in listing.getvalue()


# -- what a token reads ------------------------------------------------------------------------


def test_a_token_reads_exactly_what_its_owner_may_read(client, people, tenant, make_tenant):
    other = make_tenant(name="Beta")
    secret = tokens.create(people["viewer"], "s")[1]
    seen = [t["slug"] for t in client.get("/api/v1/tenants", **bearer(secret)).json()]
    assert seen == [tenant.slug]
    assert client.get(f"/api/v1/tenants/{other.slug}/jobs", **bearer(secret)).status_code == 404
    root = tokens.create(people["root"], "s")[1]
    listed = client.get("/api/v1/tenants", **bearer(root)).json()
    assert sorted(t["slug"] for t in listed) == sorted([tenant.slug, other.slug])
    assert {t["role"] for t in listed} == {"admin"}
    # Access follows the membership as it is now, not as it was when the token was made.
    Membership.objects.filter(user=people["viewer"]).delete()
    assert client.get("/api/v1/tenants", **bearer(secret)).json() == []
    response = client.get(f"/api/v1/tenants/{tenant.slug}", **bearer(secret))
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    # The same 404 as a tenant that does not exist: outsiders cannot tell.
    missing = client.get("/api/v1/tenants/no-such-tenant", **bearer(secret))
    assert missing.json() == response.json()


def test_the_jobs_endpoint_mirrors_the_list_filters_sort_and_paging(
    client, synced, viewer_token, simulator
):
    params = {"status": "FAILED", "sort": "name", "dir": "asc", "size": 10, "page": 2}
    response = client.get(f"/api/v1/tenants/{synced.slug}/jobs", params, **bearer(viewer_token))
    body = response.json()
    expected = selectors.tenant_jobs(
        synced, selectors.ListQuery(status="FAILED", sort="name", descending=False)
    )
    assert body["count"] == expected.count() > 10
    assert [j["id"] for j in body["jobs"]] == [j.job_id for j in expected[10:20]]
    assert body["page"] == 2 and body["size"] == 10 and body["pages"] == -(-body["count"] // 10)
    assert list(body["jobs"][0]) == [
        "id",
        "name",
        "status",
        "engine_type",
        "error_log",
        "description",
        "create_time",
        "finish_time",
        "enterprise_project_id",
    ]  # the --json list's field names, in its order
    assert {j["status"] for j in body["jobs"]} == {"FAILED"}
    assert body["jobs"][0]["create_time"].endswith("Z")
    assert body["sync"]["synced_at"] and body["sync"]["failing"] is False
    past_the_end = client.get(
        f"/api/v1/tenants/{synced.slug}/jobs", {"page": 999}, **bearer(viewer_token)
    ).json()
    every = selectors.tenant_jobs(synced, selectors.ListQuery()).count()
    assert past_the_end["jobs"] == [] and past_the_end["count"] == every
    assert simulator.calls() == 0  # the mirror, not DRS


def test_invalid_parameters_are_a_400_with_the_fields(client, synced, viewer_token):
    response = client.get(
        f"/api/v1/tenants/{synced.slug}/jobs",
        {"size": 7, "created_from": "0001-01-01", "status": "ODD"},
        **bearer(viewer_token),
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and {"size", "status"} <= set(error["fields"])
    far = client.get(
        f"/api/v1/tenants/{synced.slug}/jobs",
        {"created_from": "1999-01-01"},
        **bearer(viewer_token),
    )
    assert far.status_code == 400 and "created_from" in far.json()["error"]["fields"]


def test_one_job_is_the_pages_shared_live_read(client, tenant, viewer_token, simulator, login):
    response = client.get(
        f"/api/v1/tenants/{tenant.slug}/jobs/{EXAMPLE_ID}", **bearer(viewer_token)
    )
    body = response.json()
    assert response.status_code == 200, body
    assert body["job"]["id"] == EXAMPLE_ID and body["job"]["status"] == "SUCCESS"
    assert set(body["job"]) >= {"backup_info", "base_info", "target_db_info", "options"}
    assert body["stale"] is False and body["fetched_at"].endswith("Z")
    calls = simulator.calls()
    # The page now shows the stored snapshot of the finished job: no second upstream call.
    assert login("viewer").get(f"/tenants/{tenant.slug}/jobs/{EXAMPLE_ID}/").status_code == 200
    assert (
        client.get(
            f"/api/v1/tenants/{tenant.slug}/jobs/{EXAMPLE_ID}", **bearer(viewer_token)
        ).status_code
        == 200
    )
    assert simulator.calls() == calls
    missing = client.get(
        f"/api/v1/tenants/{tenant.slug}/jobs/00000000-0000-0000-0000-000000000000",
        **bearer(viewer_token),
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    bad = client.get(f"/api/v1/tenants/{tenant.slug}/jobs/not!an!id", **bearer(viewer_token))
    assert bad.status_code == 404


def test_a_failing_drs_is_a_json_error_with_a_code(client, tenant, viewer_token, simulator):
    job_id = simulator.add_live_job(600)
    simulator.set_fault("http_503", target=job_id)
    response = client.get(f"/api/v1/tenants/{tenant.slug}/jobs/{job_id}", **bearer(viewer_token))
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] and "DRS" in error["message"]


def test_failures_and_sync_state(client, synced, viewer_token):
    failures = client.get("/api/v1/failures", {"days": 0}, **bearer(viewer_token)).json()
    assert failures["total"] == sum(c["count"] for c in failures["causes"]) > 0
    assert failures["causes"][0]["jobs"][0]["tenant"] == synced.slug
    assert (
        client.get("/api/v1/failures", {"tenant": "nope"}, **bearer(viewer_token)).status_code
        == 404
    )
    sync = client.get(f"/api/v1/tenants/{synced.slug}/sync", **bearer(viewer_token)).json()
    assert sync["tenant"] == synced.slug and sync["failing"] is False
    assert sync["jobs_total"] == selectors.tenant_jobs(synced, selectors.ListQuery()).count()


def test_each_token_has_its_own_rate_limit(client, people, tenant, settings):
    settings.API_REQUESTS_PER_MINUTE = 3
    first, second = tokens.create(people["viewer"], "a")[1], tokens.create(people["viewer"], "b")[1]
    statuses = [client.get("/api/v1/tenants", **bearer(first)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/v1/tenants", **bearer(first))
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert client.get("/api/v1/tenants", **bearer(second)).status_code == 200


def test_a_session_cookie_does_not_open_the_api(login):
    response = login("viewer").get("/api/v1/tenants")
    assert response.status_code == 401


# -- the schema and its page -------------------------------------------------------------------


def test_the_schema_validates_and_documents_every_endpoint(client):
    schema = client.get("/api/v1/openapi.json").json()
    validate(schema)
    assert set(schema["paths"]) == {
        "/api/v1/tenants",
        "/api/v1/tenants/{slug}",
        "/api/v1/tenants/{slug}/jobs",
        "/api/v1/tenants/{slug}/jobs/{job_id}",
        "/api/v1/tenants/{slug}/sync",
        "/api/v1/failures",
    }
    jobs = schema["paths"]["/api/v1/tenants/{slug}/jobs"]["get"]
    assert {p["name"] for p in jobs["parameters"]} >= {
        "slug",
        "status",
        "name",
        "created_from",
        "completed_from",
        "sort",
        "dir",
        "size",
        "page",
    }
    assert "401" in jobs["responses"] and "404" in jobs["responses"]
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def test_the_docs_page_is_served_from_our_own_static_files(client):
    page = client.get("/api/v1/docs")
    html = page.content.decode()
    assert page.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in html and "/static/ninja/swagger-ui.css" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from another host
    assert "script-src 'self';" in page["Content-Security-Policy"]


# -- nothing secret leaks ----------------------------------------------------------------------


def test_no_token_in_a_page_a_log_line_or_an_error_report(
    client, login, people, tenant, caplog, monkeypatch, rf
):
    caplog.set_level(logging.DEBUG)
    secret = tokens.create(people["viewer"], "leak-check")[1]
    pages = [
        client.get(url, **bearer(secret))
        for url in (
            "/api/v1/tenants",
            f"/api/v1/tenants/{tenant.slug}/jobs",
            "/api/v1/tenants/nope",
            f"/api/v1/tenants/{tenant.slug}/jobs",
            "/api/v1/nowhere",
        )
    ]
    pages += [
        login("viewer").get("/accounts/tokens/"),
        login("admin").get(f"/tenants/{tenant.slug}/tokens/"),
        login("root").get("/audit/"),
    ]

    # An unexpected error inside an endpoint: a JSON 500, logged, without the token.
    from jobs.api import v1

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(v1.selectors, "tenant_jobs", broken)
    failed = client.get(f"/api/v1/tenants/{tenant.slug}/jobs", **bearer(secret))
    assert failed.status_code == 500 and failed.json()["error"]["code"] == "server_error"
    assert "boom" in caplog.text
    pages.append(failed)
    for page in pages:
        assert secret not in page.content.decode(errors="replace")
    assert secret not in caplog.text

    request = rf.get("/api/v1/tenants", **bearer(secret))
    try:
        tokens.authenticate(secret) and broken()
    except RuntimeError:
        report = ExceptionReporter(request, *sys.exc_info()).get_traceback_text()
    assert "HTTP_AUTHORIZATION" in report and "boom" in report
    assert secret not in report


def test_answers_match_the_documented_schema(client, synced, viewer_token):
    from jsonschema import Draft202012Validator

    schema = client.get("/api/v1/openapi.json").json()

    def check(url: str, status: int = 200, **params) -> None:
        response = client.get(url, params, **bearer(viewer_token))
        assert response.status_code == status, response.content
        operation = next(
            op["get"]
            for path, op in schema["paths"].items()
            if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", path), url)
        )
        documented = operation["responses"][str(status)]["content"]["application/json"]["schema"]
        Draft202012Validator({**documented, "components": schema["components"]}).validate(
            response.json()
        )

    check("/api/v1/tenants")
    check(f"/api/v1/tenants/{synced.slug}")
    check(f"/api/v1/tenants/{synced.slug}/jobs", size=100)
    check(f"/api/v1/tenants/{synced.slug}/jobs/{EXAMPLE_ID}")
    check(f"/api/v1/tenants/{synced.slug}/sync")
    check("/api/v1/failures", days=0)
    check("/api/v1/tenants/nope", 404)
    check(f"/api/v1/tenants/{synced.slug}/jobs", 400, size=3)
