from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .drs import DrsError, JobPage
from .models import Tenant
from .upstream import client_for

HOME_JOBS = 10


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    tenants = list(Tenant.objects.all()) if request.user.is_superuser else []
    with ThreadPoolExecutor(max_workers=4) as pool:
        pages = list(pool.map(_newest_jobs, tenants))
    return render(request, "jobs/home.html", {"rows": list(zip(tenants, pages, strict=True))})


def _newest_jobs(tenant: Tenant) -> JobPage | DrsError:
    try:
        return client_for(tenant).list_jobs(limit=HOME_JOBS)
    except DrsError as exc:
        return exc
