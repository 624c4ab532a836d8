"""Migrations as databases (chains of jobs), from the mirror (0 upstream calls): across tenants
for a period, one tenant's, and one database's timeline. Thin: `jobs.chains` does the work."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from jobs.actions.prefill import offered_on_chain
from jobs.chains import figures
from jobs.chains.present import STATE_LABELS, STATES, completeness, present, tenant_chains
from jobs.fleet.export import csv_response, json_response
from jobs.job_page.formatting import human_bytes
from jobs.mirror.models import Chain
from jobs.tenants.access import Role, signed_in, tenant_role, visible_tenants

PAGE = 50
TENANT_PAGE = 50  # tenant rows a page of the migrations overview; the totals cover them all


@signed_in
@require_GET
def migrations_overview(request: HttpRequest) -> HttpResponse:
    """Per tenant, databases by state in the period; totals; three charts with their tables."""
    tenants = visible_tenants(request.user)
    get = request.GET
    span = figures.period(get.get("period", "week"), get.get("from", ""), get.get("to", ""))
    if get.get("format") in ("csv", "json"):
        return _export(figures.by_tenant(tenants, span), span, get["format"])
    q = get.get("q", "").replace("\x00", "").strip()[:100]
    shown = tenants.filter(Q(name__icontains=q) | Q(slug__icontains=q)) if q else tenants
    page = Paginator(shown.order_by("name", "pk"), TENANT_PAGE).get_page(get.get("page"))
    page.object_list = figures.by_tenant(list(page.object_list), span)
    context = {
        "span": span,
        "periods": figures.PERIODS,
        "page": page,
        "q": q,
        "totals": figures.state_totals(tenants, span),
        "states": [(s, STATE_LABELS[s]) for s in STATES],
        "online": figures.online_per_week(tenants, span),
        "volume": figures.volume_per_day(tenants, span, human_bytes),
        "ages": figures.awaiting_ages(tenants, span),
        "picture": completeness(tenants, settings.SYNC_CALLS_PER_MINUTE),
        "query": urlencode(
            {"period": span.name, "from": get.get("from", ""), "to": get.get("to", "")}
        ),
        "page_query": urlencode(
            {"period": span.name, "from": get.get("from", ""), "to": get.get("to", ""), "q": q}
        ),
        "now": timezone.now(),
    }
    return render(request, "migrations/overview.html", context)


def _export(rows, span, kind: str):
    header = ["tenant", *STATES, "total"]
    items = [{"tenant": row.tenant.slug, **row.counts, "total": row.total} for row in rows]
    name = f"migrations-{span.start:%Y%m%d}-{span.end:%Y%m%d}"
    if kind == "csv":
        return csv_response(f"{name}.csv", header, ([i[h] for h in header] for i in items))
    return json_response(
        f"{name}.json", "tenants", items, start=span.start.isoformat(), end=span.end.isoformat()
    )


@tenant_role(Role.VIEWER)
@require_GET
def tenant_migrations(request: HttpRequest, tenant) -> HttpResponse:
    get = request.GET
    state = get.get("state", "")
    state = state if state in STATES else ""
    instance, database = get.get("instance", "")[:64], get.get("database", "")[:128]
    now = timezone.now()
    chains = tenant_chains(tenant, state=state, instance=instance, database=database, now=now)
    context = {
        "tenant": tenant,
        "migrations": [present(c, tenant, now) for c in chains[:PAGE]],
        "count": chains.count(),
        "page_size": PAGE,
        "state": state,
        "instance": instance,
        "database": database,
        "states": [(s, STATE_LABELS[s]) for s in STATES],
        "picture": completeness([tenant], settings.SYNC_CALLS_PER_MINUTE),
    }
    return render(request, "migrations/tenant.html", context)


@tenant_role(Role.VIEWER)
@require_GET
def migration_detail(request: HttpRequest, tenant, instance: str, database: str) -> HttpResponse:
    chain = Chain.objects.filter(
        tenant=tenant, target_instance_id=instance, database=database
    ).first()
    if chain is None:
        raise Http404("No such migration")
    migration = present(chain, tenant, timezone.now(), steps=True)
    context = {
        "tenant": tenant,
        "m": migration,
        "actions": offered_on_chain(tenant, request.role, migration),
    }
    return render(request, "migrations/chain.html", context)
