from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..access import public, signed_in, visible_tenants
from ..drs import DrsError, JobPage
from ..models import Tenant
from ..upstream import client_for, explain

HOME_JOBS = 10


@public
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@signed_in
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    tenants = list(visible_tenants(request.user))
    with ThreadPoolExecutor(max_workers=4) as pool:
        pages = list(pool.map(_newest_jobs, tenants))
    return render(request, "jobs/home.html", {"rows": list(zip(tenants, pages, strict=True))})


def _newest_jobs(tenant: Tenant) -> JobPage | str:
    try:
        return client_for(tenant).list_jobs(limit=HOME_JOBS)
    except DrsError as exc:
        return explain(exc, tenant)
