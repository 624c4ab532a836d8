"""Views over many jobs: a tenant's list, the overview across tenants, failures by cause."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.views.decorators.http import require_GET
from django_htmx.http import HTMX_STOP_POLLING

from .. import selectors
from ..access import Role, signed_in, tenant_role, visible_tenants
from ..drs import InvalidFilter
from ..export import csv_response, json_response
from ..forms import JobListForm, TriageForm
from ..messages import describe
from ..models import UserPreference
from ..serialize import SUMMARY_FIELDS, summary_to_api
from ..tenant_client import drs_language

REMEMBERED = ("status", "name", "created_from", "completed_from", "instance", "tags", "sort",
              "dir", "size")  # fmt: skip
CHART_WIDTH, CHART_HEIGHT = 560, 120


@tenant_role(Role.VIEWER)
@require_GET
def job_list(request: HttpRequest, tenant) -> HttpResponse:
    preference, _ = UserPreference.objects.get_or_create(user=request.user)
    saved = preference.list_filters.get(tenant.slug, "")
    if "reset" in request.GET:
        preference.list_filters.pop(tenant.slug, None)
        preference.save(update_fields=["list_filters"])
        return redirect("job_list", slug=tenant.slug)
    if not request.GET and saved:
        return redirect(f"{request.path}?{saved}")

    form = JobListForm(_with_defaults(request.GET, size="25", sort="created_at", dir="desc"))
    if not form.is_valid():
        return _list_page(request, tenant, form, None, status=400)
    filters, limit, offset = form.query()
    export = request.GET.get("format")
    if export in ("csv", "json"):
        return _export_list(tenant, filters, export)
    try:
        fetched = selectors.tenant_jobs(
            tenant, filters, limit=limit, offset=offset, language=drs_language(),
            force="refresh" in request.GET,
        )  # fmt: skip
    except InvalidFilter as error:
        form.add_error(None, error.error_msg)
        return _list_page(request, tenant, form, None, status=400)

    remembered = urlencode({k: v for k, v in request.GET.items() if k in REMEMBERED and v})
    if remembered != saved:
        preference.list_filters[tenant.slug] = remembered
        preference.save(update_fields=["list_filters"])
    return _list_page(request, tenant, form, fetched)


def _with_defaults(query, **defaults):
    """The query with defaults filled in, so the controls show the values in force."""
    data = query.copy()
    for key, value in defaults.items():
        data.setdefault(key, value)
    return data


def _list_page(request, tenant, form, fetched, status: int = 200) -> HttpResponse:
    page = fetched.value if fetched else None
    running = bool(page and any(not job.is_terminal for job in page.jobs))
    size = (form.cleaned_data.get("size") if form.is_valid() else None) or 25
    number = (form.cleaned_data.get("page") if form.is_valid() else None) or 1
    query = request.GET.copy()
    for key in ("page", "format", "refresh"):
        query.pop(key, None)
    context = {
        "tenant": tenant,
        "form": form,
        "fetched": fetched,
        "page": page,
        "polling": running or bool(fetched and fetched.error),
        "poll_seconds": settings.JOB_REFRESH_SECONDS,
        "query": query.urlencode(),
        "number": number,
        "pages": -(-page.count // size) if page else 0,
        "now": timezone.now(),
    }
    if request.htmx and request.htmx.target == "job-table":
        response = render(request, "jobs/list.html#table", context, status=status)
        if request.htmx.trigger == "job-table" and not context["polling"]:
            response.status_code = HTMX_STOP_POLLING
        return response
    return render(request, "jobs/list.html", context, status=status)


def _export_list(tenant, filters, export: str) -> HttpResponse:
    def explained(error) -> str:
        return describe(error, tenant)

    jobs = selectors.all_jobs(tenant, filters, drs_language(), settings.EXPORT_MAX_JOBS)
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    name = f"{tenant.slug}-jobs-{stamp}.{export}"
    if export == "csv":
        rows = (
            [summary_to_api(job)[field] for field in SUMMARY_FIELDS] + [_seconds(job)]
            for job in jobs
        )
        header = [*SUMMARY_FIELDS, "duration_seconds"]
        return csv_response(name, header, rows, describe=explained)
    items = (summary_to_api(job) for job in jobs)
    return json_response(name, "jobs", items, describe=explained, tenant=tenant.slug)


def _seconds(job) -> int | str:
    duration = job.duration()
    return int(duration.total_seconds()) if duration is not None else ""


@signed_in
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The overview: each visible tenant's counts, running jobs, recent failures, a chart."""
    tenants = list(visible_tenants(request.user))
    language = drs_language()
    timeout = settings.OVERVIEW_TENANT_TIMEOUT
    results = selectors.in_parallel(
        tenants, lambda t: selectors.tenant_stats(t, language, timeout), get_language()
    )
    rows = [(tenant, fetched, _chart(fetched.value)) for tenant, fetched in results]
    return render(request, "jobs/overview.html", {"rows": rows, "now": timezone.now()})


def _chart(stats) -> list[dict] | None:
    """Stacked bars per day (success, failed, running) as SVG rectangles."""
    if stats is None:
        return None
    peak = max((day.total for day in stats.days), default=0) or 1
    slot = CHART_WIDTH / len(stats.days)
    bars = []
    for n, day in enumerate(stats.days):
        y = CHART_HEIGHT
        segments = []
        for kind, value in (("success", day.success), ("failed", day.failed),
                            ("running", day.running)):  # fmt: skip
            height = value / peak * (CHART_HEIGHT - 4)
            y -= height
            if value:
                segments.append({"kind": kind, "y": round(y, 1), "height": round(height, 1)})
        bars.append({"day": day, "x": round(n * slot + 2, 1), "width": round(slot - 4, 1),
                     "segments": segments})  # fmt: skip
    return bars


@signed_in
@require_GET
def failures(request: HttpRequest) -> HttpResponse:
    """Failed and pre-check-failed jobs across the user's tenants, grouped by cause."""
    all_tenants = list(visible_tenants(request.user))
    form = TriageForm(_with_defaults(request.GET, days="30"))
    form.is_valid()
    chosen = form.cleaned_data.get("tenant") or ""
    tenants = [t for t in all_tenants if not chosen or t.slug == chosen]
    days = form.cleaned_data.get("days", 30)
    since = timezone.now() - timedelta(days=days) if days else None
    language = drs_language()
    timeout = settings.OVERVIEW_TENANT_TIMEOUT
    results = selectors.in_parallel(
        tenants, lambda t: selectors.failed_jobs(t, language, timeout), get_language()
    )
    groups = selectors.group_failures(results, since)
    problems = [(t, f.error) for t, f in results if f.error]
    export = request.GET.get("format")
    if export in ("csv", "json"):
        incomplete = [f"{t.slug}: {describe(error, t)}" for t, error in problems]
        return _export_failures(groups, export, incomplete)
    context = {
        "form": form,
        "groups": groups,
        "problems": problems,
        "tenants": all_tenants,
        "chosen": chosen,
        "days": days,
        "query": urlencode({"tenant": chosen, "days": days}),
        "total": sum(g.count for g in groups),
    }
    return render(request, "jobs/failures.html", context)


def _export_failures(groups, export: str, incomplete: list[str]) -> HttpResponse:
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    name = f"failed-jobs-{stamp}.{export}"
    items = (
        {"signature": group.signature, "tenant": tenant.slug, **summary_to_api(job)}
        for group in groups
        for tenant, job in group.jobs
    )
    if export == "json":
        return json_response(name, "jobs", items, incomplete=incomplete)
    header = ["signature", "tenant", *SUMMARY_FIELDS]
    rows = ([item[k] for k in header] for item in items)
    return csv_response(name, header, rows, incomplete=incomplete)
