"""The interface language kept on the account: a fresh sign-in, on any browser, is in the
language the person chose (else the browser's, through Django's LocaleMiddleware)."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from jobs.accounts.models import UserPreference

SESSION_KEY = "account_language"  # copied into the session: no query per request


def remember_language(request, language: str) -> None:
    request.session[SESSION_KEY] = language


class AccountLanguageMiddleware:
    """After AuthenticationMiddleware. The chosen language wins over the cookie and the
    browser's; the cookie follows it, so the sign-in page after signing out stays in it."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = dict(settings.LANGUAGES)

    def __call__(self, request):
        language = ""
        if request.user.is_authenticated:
            if SESSION_KEY not in request.session:
                remember_language(request, _chosen(request.user))
            language = request.session[SESSION_KEY]
        if language in self.languages:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        cookie = settings.LANGUAGE_COOKIE_NAME
        if language in self.languages and request.COOKIES.get(cookie) != language:
            response.set_cookie(
                cookie,
                language,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response


def _chosen(user) -> str:
    return UserPreference.objects.filter(user=user).values_list("language", flat=True).first() or ""
