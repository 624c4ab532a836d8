"""`/healthz`: for load balancers and proxies, over plain HTTP too (SECURE_REDIRECT_EXEMPT).

200 when the database and the cache answer; 503 naming the one that did not. Never a detail
of the failure (the answer is public)."""

from __future__ import annotations

import logging
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from jobs.tenants.access import public

log = logging.getLogger(__name__)


def _database() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0] == 1


def _cache() -> bool:
    """A write and a read back under this probe's own key: probes running at once never see
    each other's value (one shared key made concurrent probes answer 503 for a healthy cache)."""
    value = uuid.uuid4().hex
    key = f"healthz:{value}"
    cache.set(key, value, 10)
    try:
        return cache.get(key) == value
    finally:
        cache.delete(key)


CHECKS = {"database": _database, "cache": _cache}


@public
@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    failed = []
    for name, check in CHECKS.items():
        try:
            ok = check()
        except Exception:
            log.exception("Health check: the %s failed", name)
            ok = False
        if not ok:
            failed.append(name)
    if failed:
        return JsonResponse({"status": "failing", "failed": failed}, status=503)
    return JsonResponse({"status": "ok"})
