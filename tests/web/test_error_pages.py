"""Our own 404, 403 and 500 pages, in the site's layout, with DEBUG on as well as off; a 403 is an
expected answer, not a WARNING with a traceback; the 500 page renders with the database down."""

from __future__ import annotations

import logging

import pytest
from django.db import connection
from django.test import Client, RequestFactory

from jobs.web import errors
from tests.security.test_headers import inline_code

pytestmark = pytest.mark.django_db
LAYOUT = 'class="topbar'


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def ours(response, status: int, title: str) -> str:
    body = response.content.decode()
    assert response.status_code == status
    assert LAYOUT in body and title in body, body[:500]
    assert "Using the URLconf" not in body and "Traceback" not in body
    assert inline_code(body) == []  # renders under our CSP
    return body


def test_unknown_url(debug, login, people):
    ours(Client().get("/no/such/page/"), 404, "Not found")
    ours(login("viewer").get("/no/such/page/"), 404, "Not found")


def test_outsider_and_unknown_tenant(debug, login, people, tenant):
    ours(login("outsider").get(f"/tenants/{tenant.slug}/"), 404, "Not found")
    ours(login("viewer").get("/tenants/no-such-tenant/"), 404, "Not found")


def test_forbidden_is_ours_and_not_a_warning(debug, login, people, tenant, caplog):
    caplog.set_level(logging.INFO)
    response = login("viewer").get(f"/tenants/{tenant.slug}/edit/")
    ours(response, 403, "Not allowed")
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert loud == [], [(r.name, r.getMessage()) for r in loud]
    assert not any(r.exc_info for r in caplog.records)


def test_append_slash_still_redirects(login, people):
    assert login("viewer").get("/tenants").status_code == 301


def test_server_error_page_in_production(settings, login, people, tenant, monkeypatch):
    from jobs.views import tenants

    def boom(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(tenants, "render", boom)
    client = login("viewer")
    client.raise_request_exception = False
    body = ours(client.get(f"/tenants/{tenant.slug}/"), 500, "Something went wrong")
    assert "bug" not in body


def test_server_error_page_needs_no_database(monkeypatch):
    def no_database(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(connection, "cursor", no_database)
    monkeypatch.setattr(connection, "ensure_connection", no_database)
    response = errors.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    body = response.content.decode()
    assert LAYOUT in body and "Something went wrong" in body
    assert errors.server_error().status_code == 500


def test_handlers_are_ours():
    from django.urls import get_resolver

    resolver = get_resolver()
    assert resolver.resolve_error_handler(404) is errors.page_not_found
    assert resolver.resolve_error_handler(403) is errors.permission_denied
    assert resolver.resolve_error_handler(500) is errors.server_error
