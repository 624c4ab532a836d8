"""Ops hardening: signed-in pages are never cached, /healthz checks the database and the cache
and answers plain HTTP behind the proxy, gunicorn listens on loopback unless told otherwise."""

from __future__ import annotations

import json
import runpy

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from jobs.views import health
from tests.security.support import expand, routes
from tests.security.test_headers import ROOT, manage
from tests.support import EXAMPLE_ID

pytestmark = pytest.mark.django_db


def test_signed_in_pages_are_not_cached(people, tenant):
    client = Client()
    client.force_login(people["root"])
    members = {tenant.slug: tenant.memberships.first().pk}
    checked = 0
    for route, _name in routes():
        for url in expand(route, [tenant.slug], [EXAMPLE_ID], members):
            response = client.get(url)
            if response.status_code >= 500:
                continue
            control = response.get("Cache-Control", "")
            assert "no-store" in control and "private" in control, (url, control)
            checked += 1
    assert checked > 10


def test_healthz_ok():
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_healthz_names_a_failing_database(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(connection, "cursor", broken)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "failing", "failed": ["database"]}


def test_healthz_names_a_failing_cache(monkeypatch):
    monkeypatch.setattr(cache, "set", lambda *a, **k: None)  # writes vanish
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]
    assert "cache" in health.CHECKS


PROBE = """
import json
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings
from tests.support import EXAMPLE_ID
plain = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=plain):
    health = Client(HTTP_HOST="dash.example.com").get("/healthz")
    page = Client(HTTP_HOST="dash.example.com").get("/accounts/login/")
print("FACTS" + json.dumps({"health": health.status_code, "page": page.status_code}))
"""


def test_healthz_answers_plain_http_in_production():
    result = manage("shell", "--no-imports", "-c", PROBE)
    assert result.returncode == 0, result.stdout + result.stderr
    facts = json.loads(result.stdout.split("FACTS", 1)[1])
    assert facts == {"health": 200, "page": 301}  # everything else still redirects to https


def test_gunicorn_binds_loopback_by_default(monkeypatch):
    monkeypatch.delenv("GUNICORN_BIND", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    assert runpy.run_path(str(ROOT / "dashboard/gunicorn.conf.py"))["bind"] == "127.0.0.1:8000"
    monkeypatch.setenv("GUNICORN_BIND", "0.0.0.0:9000")
    assert runpy.run_path(str(ROOT / "dashboard/gunicorn.conf.py"))["bind"] == "0.0.0.0:9000"


@pytest.mark.django_db(transaction=True)
def test_healthz_200_concurrent_probes_all_healthy(monkeypatch):
    """200 probes at once against a healthy, slowish cache: each writes and reads back its own
    key, so none sees another's value and none answers 503."""
    import contextlib
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    real_set = cache.set

    def slow_set(*args, **kwargs):  # widen the window between a probe's write and its read
        real_set(*args, **kwargs)
        time.sleep(0.005)

    monkeypatch.setattr(cache, "set", slow_set)
    start = threading.Barrier(50)

    def probe(_):
        with contextlib.suppress(threading.BrokenBarrierError):
            start.wait(timeout=5)
        try:
            response = Client().get("/healthz")
            return response.status_code, response.content
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(probe, range(200)))
    assert len(answers) == 200
    assert [a for a in answers if a[0] != 200] == []
    kept = getattr(cache, "_cache", None)  # the local-memory cache's dict (not Redis's client)
    assert not [key for key in (kept if isinstance(kept, dict) else {}) if "healthz" in key]
