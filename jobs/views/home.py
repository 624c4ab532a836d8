from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET

from ..access import public, signed_in, visible_tenants
from ..drs import DrsError, JobPage
from ..models import Tenant
from ..upstream import client_for, drs_language, explain

HOME_JOBS = 10


@public
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@signed_in
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    tenants = list(visible_tenants(request.user))
    language = translation.get_language()
    with ThreadPoolExecutor(max_workers=4) as pool:
        pages = list(pool.map(lambda t: _newest_jobs(t, language), tenants))
    return render(request, "jobs/home.html", {"rows": list(zip(tenants, pages, strict=True))})


def _newest_jobs(tenant: Tenant, language: str) -> JobPage | str:
    with translation.override(language):  # worker threads do not inherit the request's
        try:
            return client_for(tenant, drs_language()).list_jobs(limit=HOME_JOBS)
        except DrsError as exc:
            return explain(exc, tenant)
