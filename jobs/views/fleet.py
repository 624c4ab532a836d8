"""Views over many jobs, read from the mirror (0 upstream calls): a tenant's list, the overview
across tenants, failures by cause. Each page refreshes itself through its own fragment."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from datetime import time as day_time
from itertools import islice

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Q
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from jobs.accounts.models import UserPreference
from jobs.chains import figures
from jobs.drs.models import TRANSFERRING
from jobs.fleet import refresh, selectors
from jobs.fleet.causes import causes
from jobs.fleet.export import csv_response, json_response
from jobs.fleet.forms import JobListForm, TriageForm
from jobs.fleet.serialize import SUMMARY_FIELDS, mirrored_to_api
from jobs.tenants.access import Role, pick_tenant, signed_in, tenant_role, visible_tenants

REMEMBERED = ("status", "name", "created_from", "completed_from", "sort", "dir", "size")
EXPORT_FIELDS = SUMMARY_FIELDS  # a mirror row's columns, as the list API names them
CHART_WIDTH, CHART_HEIGHT = 560, 120
REFRESH_SECONDS = 15
RESTORED_KEY = "job-list-restored"


def _fragment(request: HttpRequest, target: str) -> bool:
    return bool(request.htmx and request.htmx.target == target)


def _with_defaults(query, **defaults):
    """The query with defaults filled in, so the controls show the values in force."""
    data = query.copy()
    for key, value in defaults.items():
        data.setdefault(key, value)
    return data


# -- one tenant's jobs --------------------------------------------------------------------------


@tenant_role(Role.VIEWER)
@require_GET
def job_list(request: HttpRequest, tenant) -> HttpResponse:
    preference, _created = UserPreference.objects.get_or_create(user=request.user)
    saved = preference.list_filters.get(tenant.slug, "")
    if "reset" in request.GET:
        preference.list_filters.pop(tenant.slug, None)
        preference.save(update_fields=["list_filters"])
        return redirect("job_list", slug=tenant.slug)
    if not request.GET and saved:
        request.session[RESTORED_KEY] = tenant.slug  # the page says the filter is last time's
        return redirect(f"{request.path}?{saved}")
    restored = not request.htmx and request.session.pop(RESTORED_KEY, None) == tenant.slug

    form = JobListForm(_with_defaults(request.GET, size="25", sort="created_at", dir="desc"))
    if not form.is_valid():
        return _list_page(request, tenant, form, None, status=400)
    rows = selectors.tenant_jobs(tenant, _list_query(form.cleaned_data))
    export = request.GET.get("format")
    if export in ("csv", "json"):
        return _export_list(tenant, rows, export)
    remembered = urlencode({k: v for k, v in request.GET.items() if k in REMEMBERED and v})
    if remembered != saved:
        preference.list_filters[tenant.slug] = remembered
        preference.save(update_fields=["list_filters"])
    return _list_page(request, tenant, form, rows, restored=restored)


def _filter_words(data: dict) -> list[str]:
    """The filters in force, short: "FAILED", "name contains “x”", "created since 2026-11-01"."""
    words = [data["status"]] if data.get("status") else []
    if data.get("name"):
        words.append(_("name contains “%(name)s”") % {"name": data["name"]})
    if data.get("created_from"):
        words.append(_("created since %(day)s") % {"day": data["created_from"].isoformat()})
    if data.get("completed_from"):
        words.append(_("finished since %(day)s") % {"day": data["completed_from"].isoformat()})
    return words


def _day_start(day) -> datetime | None:
    if not day:
        return None
    return datetime.combine(day, day_time.min, tzinfo=timezone.get_current_timezone())


def _list_query(data: dict) -> selectors.ListQuery:
    return selectors.ListQuery(
        status=data.get("status") or "",
        name=data.get("name") or "",
        created_from=_day_start(data.get("created_from")),
        completed_from=_day_start(data.get("completed_from")),
        sort=data.get("sort") or "created_at",
        descending=(data.get("dir") or "desc") == "desc",
    )


def _list_page(request, tenant, form, rows, status: int = 200, restored=False) -> HttpResponse:
    size = (form.cleaned_data.get("size") if form.is_valid() else None) or 25
    number = (form.cleaned_data.get("page") if form.is_valid() else None) or 1
    now = timezone.now()
    page = None
    if rows is not None:
        page = Paginator(rows, size).get_page(number)
        page.object_list = selectors.with_progress(page.object_list, now)
        for job in page.object_list:
            job.tenant = tenant  # the rows' links: not one tenant query per row
    query = request.GET.copy()
    for key in ("page", "format", "refresh"):
        query.pop(key, None)
    context = {
        "tenant": tenant,
        "form": form,
        "page": page,
        "fresh": selectors.freshness([tenant], now)[tenant.pk],
        "poll_seconds": REFRESH_SECONDS,
        "query": query.urlencode(),
        "now": now,
        "running_filter": form.is_valid() and form.cleaned_data.get("status") == TRANSFERRING,
        "restored": _filter_words(form.cleaned_data) if restored and form.is_valid() else [],
        # Job actions on and an operator or above: rows can be selected for a bulk delete.
        "select": tenant.actions_enabled and Role(request.role).rank >= Role.OPERATOR.rank,
    }
    template = "jobs/list.html#table" if _fragment(request, "job-table") else "jobs/list.html"
    return render(request, template, context, status=status)


def _export_list(tenant, rows, export: str) -> HttpResponse:
    fresh = selectors.freshness([tenant])[tenant.pk]
    incomplete = [fresh.state.error] if fresh.failing and fresh.state else []
    jobs = rows[: settings.EXPORT_MAX_JOBS].iterator()
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    name = f"{tenant.slug}-jobs-{stamp}.{export}"
    if export == "csv":
        header = [*EXPORT_FIELDS, "duration_seconds"]
        lines = ([mirrored_to_api(j)[f] for f in EXPORT_FIELDS] + [_seconds(j)] for j in jobs)
        return csv_response(name, header, lines, incomplete=incomplete)
    items = (mirrored_to_api(job) for job in jobs)
    return json_response(name, "jobs", items, incomplete=incomplete, tenant=tenant.slug)


def _seconds(job) -> int | str:
    duration = job.duration()
    return int(duration.total_seconds()) if duration is not None else ""


# -- the overview ---------------------------------------------------------------------------


OVERVIEW_PAGE = 50  # tenant rows per page of the overview; the totals count every tenant
FAILING_SHOWN = 5  # failing tenants' banners on the overview; the rest are counted
QUERY_MAX = 100


@signed_in
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Totals over every visible tenant, a page of their rows (searchable, sortable), the jobs
    running now, a chart per day. Its refresh sends the version it shows (`u`): unchanged is
    204 and no render; a render is shared for REFRESH_SECONDS by everyone with the same view."""
    sort = request.GET.get("sort", "name")
    sort = sort if sort in selectors.OVERVIEW_SORTS else "name"
    direction = "desc" if request.GET.get("dir") == "desc" else "asc"
    q = request.GET.get("q", "").replace("\x00", "").strip()[:QUERY_MAX]  # no NUL for PostgreSQL
    number = _page_number(request.GET.get("page"))
    view = (get_language(), timezone.get_current_timezone_name(), sort, direction, q, number)
    visible = visible_tenants(request.user)
    fragment = _fragment(request, "fleet")
    seen = request.GET.get("u", "")
    current = refresh.version(visible, *view)
    if fragment and seen == current:
        return HttpResponse(status=204)  # htmx keeps what it shows; the poll goes on
    seconds = REFRESH_SECONDS
    ids = visible.values_list("pk", flat=True)  # the key needs ids only, not 1,000 tenants
    key = refresh.view_key("overview", ids, int(time.time() // seconds), *view)
    shown = cache.get(key)
    if shown is None:
        context = _overview(visible, sort, direction, q, number) | {"version": current}
        shown = (current, render_to_string("jobs/overview.html#fleet", context, request))
        cache.set(key, shown, seconds * 2)
    version, html = shown
    if fragment:
        return HttpResponse(status=204) if seen == version else HttpResponse(html)
    context = {"fleet": mark_safe(html), "q": q, "sort": sort, "dir": direction}  # noqa: S308
    return render(request, "jobs/overview.html", context)


def _page_number(value: str | None) -> int:
    try:
        return max(int(value or 1), 1)
    except ValueError:
        return 1


def _overview(tenants, sort: str, direction: str, q: str, number: int) -> dict:
    """By name (the default), only the page's tenants get rows; another order needs every
    tenant's figures to sort by, so every tenant gets a row and the page is cut from them."""
    if sort == "name":
        shown = tenants.filter(Q(name__icontains=q) | Q(slug__icontains=q)) if q else tenants
        by_name = (Lower("name").desc(), "-pk") if direction == "desc" else (Lower("name"), "pk")
        page = Paginator(shown.order_by(*by_name), OVERVIEW_PAGE).get_page(number)
        page.object_list = selectors.overview(list(page.object_list), sort, direction == "desc")
    else:
        rows = selectors.overview(tenants, sort, direction == "desc")
        page = Paginator(selectors.matching(rows, q), OVERVIEW_PAGE).get_page(number)
    page.object_list = selectors.with_longest(list(page.object_list))
    days = selectors.per_day(tenants)
    failing, failing_count = selectors.failing(tenants, FAILING_SHOWN)
    totals = selectors.totals(tenants)
    return {
        "databases": figures.state_totals(tenants, figures.all_time()),
        "page": page,
        "rows": page.object_list,
        "totals": totals,
        "failing": failing,
        "failing_more": failing_count - len(failing),
        "running": selectors.running_jobs(tenants),
        "finished": selectors.finished_recently(tenants),
        "days": days,
        "chart": _chart(days),
        "sort": sort,
        "dir": direction,
        "q": q,
        "query": urlencode({k: v for k, v in (("q", q), ("sort", sort), ("dir", direction)) if v}),
        "poll_seconds": REFRESH_SECONDS,
        "now": timezone.now(),
        "show_tenant": totals["tenants"] > 1,
    }


def _chart(days) -> list[dict]:
    """Stacked bars per day (success, failed, running) as SVG rectangles."""
    peak = max((day.total for day in days), default=0) or 1
    slot = CHART_WIDTH / max(len(days), 1)
    bars = []
    for n, day in enumerate(days):
        y = CHART_HEIGHT
        segments = []
        for kind, value in (
            ("success", day.success),
            ("failed", day.failed),
            ("running", day.running),
        ):
            height = value / peak * (CHART_HEIGHT - 16)
            y -= height
            if value:
                segments.append({"kind": kind, "y": round(y, 1), "height": round(height, 1)})
        bars.append(
            {
                "day": day,
                "x": round(n * slot + 2, 1),
                "width": round(slot - 4, 1),
                "segments": segments,
                "label_x": round(n * slot + slot / 2, 1),
                "top": round(y - 3, 1),
            }
        )
    return bars


# -- failures by cause ----------------------------------------------------------------------


@signed_in
@require_GET
def failures(request: HttpRequest) -> HttpResponse:
    """Failed and pre-check-failed jobs across the user's tenants, grouped by cause."""
    form = TriageForm(_with_defaults(request.GET, days="30"))
    form.is_valid()
    asked = form.cleaned_data.get("tenant") or ""
    picked = pick_tenant(request.user, asked) if asked else None
    tenants = visible_tenants(request.user)
    if asked:
        tenants = tenants.filter(pk=picked.pk) if picked else tenants.none()
    chosen = picked.slug if picked else asked
    days = form.cleaned_data.get("days", 30)
    since = timezone.now() - timedelta(days=days) if days else None
    groups = selectors.failures(tenants, since, _("(no error log)"))
    fresh = selectors.sync_problems(tenants)
    export = request.GET.get("format")
    if export in ("csv", "json"):
        incomplete = [f"{f.tenant.slug}: {f.state.error}" for f in fresh if f.failing]
        return _export_failures(selectors.failed(tenants, since), groups, export, incomplete)
    shown = groups[: selectors.MAX_GROUPS]
    found = causes(shown)
    context = {
        "form": form,
        "causes": found,
        "cause_count": len(found) + len(groups) - len(shown),
        "hidden_groups": len(groups) - len(shown),
        "tenants_affected": len({job.tenant_id for g in shown for job in g.jobs}),
        "newest": max((g.last_seen for g in shown if g.last_seen), default=None),
        "fresh": fresh,
        "chosen": chosen,
        "unknown_tenant": bool(asked and not picked),
        "days": days,
        "query": urlencode({"tenant": chosen, "days": days}),
        "total": sum(g.count for g in groups),
        "poll_seconds": REFRESH_SECONDS,
        "now": timezone.now(),
        "open_causes": OPEN_CAUSES,
        "rows_max": selectors.GROUP_JOBS,
    }
    template = (
        "jobs/failures.html#groups"
        if _fragment(request, "failure-groups")
        else "jobs/failures.html"
    )
    return render(request, template, context)


OPEN_CAUSES = 3  # the largest causes start open; the others are one line each until opened


def _export_failures(failed, groups, export: str, incomplete: list[str]) -> HttpResponse:
    """Every cause's jobs, largest cause first, up to EXPORT_MAX_JOBS in all."""
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    name = f"failed-jobs-{stamp}.{export}"
    jobs = (
        (group, job) for group in groups for job in selectors.group_jobs(failed, group).iterator()
    )
    items = (
        {"signature": group.signature, "tenant": job.tenant.slug, **mirrored_to_api(job)}
        for group, job in islice(jobs, settings.EXPORT_MAX_JOBS)
    )
    if export == "json":
        return json_response(name, "jobs", items, incomplete=incomplete)
    header = ["signature", "tenant", *EXPORT_FIELDS]
    rows = ([item[k] for k in header] for item in items)
    return csv_response(name, header, rows, incomplete=incomplete)
