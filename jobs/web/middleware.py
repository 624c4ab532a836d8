from __future__ import annotations

import zoneinfo
from urllib.parse import unquote

from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control

from jobs.accounts.models import UserPreference

TZ_COOKIE = "tz"  # set by static/js/app.js from the browser's time zone
TZ_SESSION = "time_zone"  # the user's chosen zone, copied into the session: no query per request


def valid_zone(name: str) -> zoneinfo.ZoneInfo | None:
    if not name or len(name) > 64:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class TimezoneMiddleware:
    """The user's chosen time zone, else the browser's, else UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = ""
        if request.user.is_authenticated:
            if TZ_SESSION not in request.session:
                remember_zone(request, _chosen_zone(request.user))
            chosen = request.session[TZ_SESSION]
        zone = valid_zone(chosen) or valid_zone(unquote(request.COOKIES.get(TZ_COOKIE, "")))
        if zone:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        return self.get_response(request)


def _chosen_zone(user) -> str:
    preference = UserPreference.objects.filter(user=user).only("time_zone").first()
    return preference.time_zone if preference else ""


def remember_zone(request, name: str) -> None:
    request.session[TZ_SESSION] = name


class ContentSecurityPolicyMiddleware:
    """A strict CSP: our own scripts and styles only; nothing inline, nothing framed."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = "; ".join(
            [
                "default-src 'self'",
                "script-src 'self'",
                "style-src 'self'",
                "img-src 'self' data:",
                "connect-src 'self'",
                "font-src 'self'",
                "object-src 'none'",
                "base-uri 'self'",
                "form-action 'self'",
                "frame-ancestors 'none'",
            ]
        )

    def __call__(self, request):
        from jobs.accounts.oidc import form_action_sources

        response = self.get_response(request)
        policy = self.policy
        extra = form_action_sources()  # sign-out redirects to the identity provider
        if extra:
            policy = policy.replace("form-action 'self'", " ".join(["form-action 'self'", *extra]))
        response.setdefault("Content-Security-Policy", policy)
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class PrivatePagesMiddleware:
    """Signed-in pages hold tenants' data: no browser, proxy or back-button cache keeps them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response
