"""Our 404, 403 and 500 pages, in the site's layout, with DEBUG on too (Django's technical 404
page needs inline styles our CSP blocks, and shows the URL patterns to anyone).

dashboard/urls.py names them as handler404/403/500; ErrorPagesMiddleware shows them for
Http404 and PermissionDenied raised by views and for unmatched URLs whatever DEBUG says (with
DEBUG on, Django would skip the handlers). Unhandled errors with DEBUG on still get Django's
debug page (filtered by jobs.web.error_reporting)."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.csrf import requires_csrf_token

log = logging.getLogger("jobs.tenants.access")


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, "404.html", 404)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    user = getattr(request, "user", None)
    # An expected answer, not a fault: one INFO line, no traceback.
    log.info("Forbidden: %s %s (user %s)", request.method, request.path, getattr(user, "pk", None))
    response = _page(request, "403.html", 403)
    response._has_been_logged = True  # Django's own WARNING line for 4xx is not needed
    return response


def server_error(request: HttpRequest | None = None) -> HttpResponse:
    """Without the request: no context processors, no user, no database query."""
    try:
        body = render_to_string("500.html")
    except Exception:  # the template itself is broken: still answer
        log.exception("The 500 page could not be rendered")
        body = "<!doctype html><title>Server error</title><h1>Server error</h1>"
    return HttpResponse(body, status=500)


def _page(request: HttpRequest, template: str, status: int) -> HttpResponse:
    return HttpResponse(render_to_string(template, request=request), status=status)


class ErrorPagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 404 and getattr(request, "resolver_match", None) is None:
            return page_not_found(request)  # no URL matched (with DEBUG: the technical page)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return permission_denied(request, exception)
        return None
