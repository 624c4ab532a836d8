"""The read API, /api/v1/ (django-ninja): what the pages show, as JSON, for scripts.

- Authentication: `Authorization: Bearer <token>` (a personal token, see jobs/api/tokens.py);
  a session cookie does not open it (so no CSRF to guard). Each token has its own rate limit.
- Access: the pages' policies (jobs/tenants/access.py). A tenant the token's owner is not a
  member of is a 404, as on the pages.
- Field names: the `manage.py jobs … --json` ones, from the one serializer
  (jobs/fleet/serialize.py): a job of the list carries SUMMARY_FIELDS (`mirrored_to_api`), one
  job `job_to_api`. Times are ISO 8601 UTC ending in Z; filter days are UTC.
- Errors: `{"error": {"code": "...", "message": "..."}}` with the HTTP status; `fields` too
  for invalid parameters.

django-ninja rather than Django REST Framework: a read API of six GET endpoints over functions
we already have (the selectors, the job state) needs typed parameters, an OpenAPI 3.1 schema
and a docs page, which ninja makes from the signatures alone and ships Swagger UI's files for
(DRF would need drf-spectacular and a sidecar package for the same, and its serializer,
viewset and authentication layers would sit beside our access policies instead of using them).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from ninja import NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.docs import DocsBase
from ninja.security import HttpBearer
from pydantic import BaseModel, Field

from jobs import drs
from jobs.api import tokens
from jobs.fleet import selectors
from jobs.fleet.forms import JobListForm
from jobs.fleet.serialize import MIRROR_COLUMNS, iso_utc, job_to_api, mirrored_to_api
from jobs.job_page.state import NoSnapshot, job_state
from jobs.tenants.access import tenant_for, visible_tenants
from jobs.tenants.models import Role
from jobs.upstream.client import drs_language
from jobs.upstream.messages import explain, reference

# -- the policy of each operation, for jobs.access.views_without_policy ------------------------

POLICIES: dict[str, str] = {}


def policy(name: str, marker: str):
    """Records the access policy of the operation called `name` (its URL name)."""
    POLICIES[name] = marker
    return {"url_name": name}


# -- authentication and the rate limit ---------------------------------------------------------


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after


class ReadOnlyToken(Exception):
    pass


class TokenAuth(HttpBearer):
    """A live personal token; its owner becomes `request.user` for the access checks."""

    def authenticate(self, request: HttpRequest, token: str):
        found = tokens.authenticate(token)
        if found is None:
            return None
        _count(found)
        if request.method not in ("GET", "HEAD", "OPTIONS") and found.read_only:
            raise ReadOnlyToken
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        return found


def _count(token) -> None:
    """At most API_REQUESTS_PER_MINUTE per token per clock minute, across every worker."""
    limit = settings.API_REQUESTS_PER_MINUTE
    now = int(timezone.now().timestamp())
    key = f"api-rate:{token.pk}:{now // 60}"
    try:
        used = cache.incr(key)  # one round trip, once the minute's counter exists
    except ValueError:
        used = 1 if cache.add(key, 1, 120) else cache.incr(key)
    if used > limit:
        raise RateLimited(60 - now % 60)


class Docs(DocsBase):
    """Swagger UI from django-ninja's own static files (no CDN), started by our static script:
    the page keeps the strict CSP (no inline script or style)."""

    def render_page(self, request, api, **kwargs):
        return render(request, "api/docs.html", {"schema_url": self.get_openapi_url(api, kwargs)})


api = NinjaAPI(
    title="DRS backup migrations — read API",
    version="1",
    description=(
        "Read-only access to the tenants, jobs, failures and sync state you may see in the "
        "dashboard. Send a personal token (made under Preferences → API tokens, or with "
        "`manage.py token create`) as `Authorization: Bearer <token>`. Errors are "
        '`{"error": {"code": …, "message": …}}`.'
    ),
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
    docs=Docs(),
    auth=TokenAuth(),
)


def error(request, status: int, code: str, message: str, **extra) -> HttpResponse:
    response = api.create_response(
        request, {"error": {"code": code, "message": message, **extra}}, status=status
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc):
    return error(request, 401, "unauthorized", "Send a live API token: Authorization: Bearer …")


@api.exception_handler(RateLimited)
def _rate_limited(request, exc):
    response = error(
        request,
        429,
        "rate_limited",
        f"More than {settings.API_REQUESTS_PER_MINUTE} requests this minute with this token.",
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ReadOnlyToken)
def _read_only(request, exc):
    return error(request, 403, "read_only_token", "This token may only read.")


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error(request, 404, "not_found", "No such resource, or not yours to see.")


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return error(request, 403, "forbidden", "Your role in this tenant does not allow this.")


@api.exception_handler(NinjaValidationError)
def _invalid(request, exc):
    fields = {}
    for item in exc.errors:
        where = ".".join(str(part) for part in item.get("loc", ())[1:]) or "request"
        fields.setdefault(where, []).append(str(item.get("msg", "invalid")))
    return error(request, 400, "invalid", "Some parameters are not valid.", fields=fields)


@api.exception_handler(HttpError)
def _http_error(request, exc):
    return error(request, exc.status_code, "error", str(exc))


@api.exception_handler(Exception)
def _server_error(request, exc):
    import logging

    logging.getLogger(__name__).exception("API error at %s", request.path)
    return error(request, 500, "server_error", "Something went wrong on our side.")


# -- schemas (the documented field names) ------------------------------------------------------


class Out(BaseModel):
    """Answers are plain dicts: validated as such (ninja's Schema would wrap each one to read
    ORM attributes, a third of a page's time)."""


class ErrorBody(Out):
    code: str
    message: str
    fields: dict[str, list[str]] | None = None


class ErrorOut(Out):
    error: ErrorBody


class Freshness(Out):
    synced_at: str | None = Field(description="When the mirror last synced this tenant (UTC).")
    age_seconds: int | None
    failing: bool = Field(description="Whether the tenant's sync fails now.")


class TenantOut(Out):
    slug: str
    name: str
    region: str
    role: str = Field(description="Your role: viewer, operator or admin.")
    sync: Freshness


class JobSummary(Out):
    id: str
    name: str
    status: str
    engine_type: str
    error_log: str
    description: str
    create_time: str | None
    finish_time: str | None
    enterprise_project_id: str


class JobPageOut(Out):
    tenant: str
    count: int = Field(description="Jobs matching the filters.")
    page: int
    size: int
    pages: int
    jobs: list[JobSummary]
    sync: Freshness


class JobOut(Out):
    tenant: str
    fetched_at: str | None = Field(description="When DRS gave this answer (UTC).")
    stale: bool = Field(description="DRS failed just now: this is the last answer we have.")
    stale_reason: ErrorBody | None
    deleted_at: str | None = Field(description="DRS no longer has the job since then.")
    job: dict[str, Any] = Field(
        description="The job, as `manage.py jobs show --json` prints it (DRS field names)."
    )


class FailedJob(JobSummary):
    tenant: str


class CauseOut(Out):
    signature: str = Field(description="The error log's first line, normalised.")
    count: int
    first_seen: str | None
    last_seen: str | None
    jobs: list[FailedJob] = Field(description="The newest jobs of this cause (up to 100).")


class FailuresOut(Out):
    days: int = Field(description="Jobs created in the last `days` days (0: any time).")
    total: int
    causes: list[CauseOut]


class SyncOut(Out):
    tenant: str
    synced_at: str | None
    age_seconds: int | None
    failing: bool
    failing_since: str | None
    consecutive_failures: int
    error: str
    error_code: str
    last_started_at: str | None
    last_finished_at: str | None
    last_duration_ms: int
    next_due_at: str | None
    jobs_total: int
    running_jobs: int


DAYS = (0, 7, 30, 90)  # the failures page's choices
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}


# -- endpoints ---------------------------------------------------------------------------------


def _fresh(fresh: selectors.Freshness) -> dict:
    return {
        "synced_at": iso_utc(fresh.synced_at),
        "age_seconds": fresh.age_seconds,
        "failing": fresh.failing,
    }


@api.get(
    "/tenants",
    response={200: list[TenantOut], **ERRORS},
    tags=["tenants"],
    summary="The tenants you may see",
    **policy("api_tenants", "token:signed-in"),
)
def tenants(request):
    user = request.user
    rows = list(visible_tenants(user).order_by("name"))
    fresh = selectors.freshness(rows)
    roles = dict(user.memberships.values_list("tenant_id", "role"))
    return [
        {
            "slug": t.slug,
            "name": t.name,
            "region": t.region,
            "role": Role.ADMIN.value if user.is_superuser else roles.get(t.pk, Role.VIEWER.value),
            "sync": _fresh(fresh[t.pk]),
        }
        for t in rows
    ]


@api.get(
    "/tenants/{slug}",
    response={200: TenantOut, **ERRORS},
    tags=["tenants"],
    summary="One tenant",
    **policy("api_tenant", "token:tenant:viewer"),
)
def tenant(request, slug: str):
    found, role = tenant_for(request.user, slug)
    fresh = selectors.freshness([found])[found.pk]
    return {
        "slug": found.slug,
        "name": found.name,
        "region": found.region,
        "role": Role(role).value,
        "sync": _fresh(fresh),
    }


class JobFilters(Schema):
    status: str = Field("", description="TRANSFERRING, SUCCESS, FAILED or PRECHECK FAILED.")
    name: str = Field("", max_length=50, description="Name contains (any case).")
    created_from: date | None = Field(None, description="Created on or after this day (UTC).")
    completed_from: date | None = Field(None, description="Finished on or after this day (UTC).")
    sort: Literal["created_at", "name"] = "created_at"
    dir: Literal["desc", "asc"] = "desc"
    size: int = Field(25, description="Per page: 10, 25, 50 or 100 (as on the page).")
    page: int = Field(1, ge=1, le=100000)


def _utc_day(day: date | None) -> datetime | None:
    return datetime.combine(day, time.min, tzinfo=UTC) if day else None


@api.get(
    "/tenants/{slug}/jobs",
    response={200: JobPageOut, **ERRORS},
    tags=["jobs"],
    summary="A tenant's jobs, from the mirror (the job list page's filters, sort and paging)",
    **policy("api_jobs", "token:tenant:viewer"),
)
def jobs(request, slug: str, filters: Query[JobFilters]):
    found, _role = tenant_for(request.user, slug)
    form = JobListForm({k: str(v) for k, v in filters.dict().items() if v is not None})
    if not form.is_valid():
        fields = {k: [str(m) for m in v] for k, v in form.errors.items()}
        return error(request, 400, "invalid", "Some parameters are not valid.", fields=fields)
    query = selectors.ListQuery(
        status=filters.status,
        name=filters.name,
        created_from=_utc_day(filters.created_from),
        completed_from=_utc_day(filters.completed_from),
        sort=filters.sort,
        descending=filters.dir == "desc",
    )
    rows = selectors.tenant_jobs(found, query)
    count = rows.count()
    start = (filters.page - 1) * filters.size
    page = (
        rows.values(*MIRROR_COLUMNS.values())[start : start + filters.size] if start < count else []
    )
    fresh = selectors.freshness([found])[found.pk]
    body = {
        "tenant": found.slug,
        "count": count,
        "page": filters.page,
        "size": filters.size,
        "pages": max((count + filters.size - 1) // filters.size, 1),
        "jobs": [mirrored_to_api(j) for j in page],
        "sync": _fresh(fresh),
    }
    # Rendered as built: re-validating 100 rows against JobPageOut would cost a third of the
    # request (tests/api checks the answers against the documented schema).
    return api.create_response(request, body, status=200)


def _why(error: drs.DrsError, tenant) -> dict:
    code = error.error_code or type(error).__name__
    return {"code": code, "message": f"{explain(error, tenant)} {reference(error)}".strip()}


@api.get(
    "/tenants/{slug}/jobs/{job_id}",
    response={200: JobOut, **ERRORS, 502: ErrorOut, 503: ErrorOut},
    tags=["jobs"],
    summary="One job, read live from DRS (shared with the job page's watchers)",
    **policy("api_job", "token:tenant:viewer"),
)
def job(request, slug: str, job_id: str):
    found, _role = tenant_for(request.user, slug)
    try:
        state = job_state(found, job_id, language=drs_language())
    except (drs.JobNotFound, drs.InvalidJobId):
        return error(request, 404, "not_found", "No such job in this tenant.")
    except NoSnapshot as failure:
        busy = isinstance(failure.error, drs.Throttled | drs.UpstreamUnavailable)
        why = _why(failure.error, found)
        return error(request, 503 if busy else 502, why["code"], why["message"])
    return {
        "tenant": found.slug,
        "fetched_at": iso_utc(state.fetched_at),
        "stale": state.is_stale,
        "stale_reason": _why(state.error, found) if state.error else None,
        "deleted_at": iso_utc(state.deleted_at),
        "job": job_to_api(state.job),
    }


@api.get(
    "/tenants/{slug}/sync",
    response={200: SyncOut, **ERRORS},
    tags=["sync"],
    summary="How the background sync of a tenant is going",
    **policy("api_sync", "token:tenant:viewer"),
)
def sync(request, slug: str):
    found, _role = tenant_for(request.user, slug)
    fresh = selectors.freshness([found])[found.pk]
    state = fresh.state
    return {
        "tenant": found.slug,
        "synced_at": iso_utc(fresh.synced_at),
        "age_seconds": fresh.age_seconds,
        "failing": fresh.failing,
        "failing_since": iso_utc(state.failing_since) if state else None,
        "consecutive_failures": state.consecutive_failures if state else 0,
        "error": state.error if state else "",
        "error_code": state.error_code if state else "",
        "last_started_at": iso_utc(state.last_started_at) if state else None,
        "last_finished_at": iso_utc(state.last_finished_at) if state else None,
        "last_duration_ms": state.last_duration_ms if state else 0,
        "next_due_at": iso_utc(state.next_due_at) if state else None,
        "jobs_total": state.jobs_total if state else 0,
        "running_jobs": state.running_jobs if state else 0,
    }


@api.get(
    "/failures",
    response={200: FailuresOut, **ERRORS},
    tags=["failures"],
    summary="Failed jobs across your tenants, grouped by cause (largest first)",
    **policy("api_failures", "token:signed-in"),
)
def failures(
    request,
    tenant: str = Query("", description="One tenant's slug; empty: all of yours."),
    days: int = Query(30, description="Created in the last 7, 30 or 90 days; 0: any time."),
):
    if days not in DAYS:
        return error(
            request,
            400,
            "invalid",
            "Some parameters are not valid.",
            fields={"days": [f"One of {', '.join(map(str, DAYS))}."]},
        )
    every = list(visible_tenants(request.user))
    chosen = [t for t in every if not tenant or t.slug == tenant]
    if tenant and not chosen:
        raise Http404
    since = timezone.now() - timedelta(days=days) if days else None
    groups = selectors.failures(chosen, since, "")
    return {
        "days": days,
        "total": sum(g.count for g in groups),
        "causes": [
            {
                "signature": g.signature,
                "count": g.count,
                "first_seen": iso_utc(g.first_seen),
                "last_seen": iso_utc(g.last_seen),
                "jobs": [{"tenant": j.tenant.slug, **mirrored_to_api(j)} for j in g.jobs],
            }
            for g in groups[: selectors.MAX_GROUPS]
        ],
    }
