"""For operators: the sync status of every tenant, and Prometheus metrics."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from jobs.metrics import MirrorCollector
from jobs.sync.budget import permits_in_use
from jobs.tenants.access import public, superuser
from jobs.tenants.audit import client_ip
from jobs.tenants.models import Tenant


@superuser
@require_GET
def sync_status(request: HttpRequest) -> HttpResponse:
    """Per tenant: last run, duration, calls, errors, next run."""
    tenants = list(Tenant.objects.select_related("sync_state").order_by("name"))
    rows = [(t, getattr(t, "sync_state", None), permits_in_use(t.pk)) for t in tenants]
    context = {
        "rows": rows,
        "now": timezone.now(),
        "limit": settings.SYNC_CALLS_PER_MINUTE,
        "failing": sum(1 for _, state, _ in rows if state and state.failing_since),
    }
    return render(request, "jobs/sync_status.html", context)


@public
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """With METRICS_TOKEN set: `Authorization: Bearer <token>`; without: a client on loopback
    only, the client being the address the proxy settings read (audit.client_ip: behind
    DASHBOARD_TRUSTED_PROXIES it is the one our outermost proxy saw, not the proxy's own
    loopback address). Anyone else gets a 404, as for a page that does not exist."""
    if not _may_scrape(request):
        raise Http404
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MirrorCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def _may_scrape(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    # Both: the client as the proxies report it, and the peer itself (an X-Forwarded-For
    # saying 127.0.0.1 on a request that came straight from elsewhere proves nothing).
    return _loopback(client_ip(request)) and _loopback(request.META.get("REMOTE_ADDR"))


def _loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address((address or "").strip()).is_loopback
    except ValueError:
        return False
