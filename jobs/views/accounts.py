"""Sign-in (with the lockout of `jobs.accounts.lockout`), sign-out, password change, preferences."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from jobs.accounts import lockout, oidc
from jobs.accounts.language import remember_language
from jobs.accounts.models import UserPreference
from jobs.accounts.passwords import local_password_allowed
from jobs.notify.models import Subscription
from jobs.tenants import audit
from jobs.tenants.access import public, signed_in
from jobs.web.middleware import remember_zone


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class LoginView(auth_views.LoginView):
    def post(self, request, *args, **kwargs) -> HttpResponse:
        if not lockout.take_attempt(request):
            audit.record(
                audit.Action.LOGIN_LOCKED,
                request=request,
                actor_name=request.POST.get("username", "")[:150],
            )
            context = self.get_context_data(
                form=self.form_class(request=request),
                lockout=_("Too many failed sign-ins. Wait 15 minutes, then try again."),
            )
            return self.render_to_response(context, status=429)
        if not local_password_allowed(request.POST.get("username", "")):
            audit.record(
                audit.Action.LOGIN_FAILED,
                request=request,
                actor_name=request.POST.get("username", "")[:150],
                reason="local passwords are off",
            )
            context = self.get_context_data(
                form=self.form_class(request=request),
                lockout=_("Passwords are turned off here: sign in with %(provider)s.")
                % {"provider": oidc.provider_name()},
            )
            return self.render_to_response(context, status=403)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["oidc_provider"] = oidc.provider_name() if oidc.enabled() else ""
        context["passwords_for_all"] = settings.LOCAL_PASSWORDS
        return context

    def form_valid(self, form) -> HttpResponse:
        lockout.give_back_attempt(self.request)
        return super().form_valid(form)

    def form_invalid(self, form) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_invalid(self, form) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        audit.record(audit.Action.PASSWORD_CHANGED, request=self.request)
        return response


login = public(LoginView.as_view())
logout = oidc.logout  # here, and at the provider after a single sign-on
password_change = signed_in(PasswordChangeView.as_view())
password_change_done = signed_in(auth_views.PasswordChangeDoneView.as_view())


TIME_ZONES = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})


@signed_in
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """Time zone (empty: follow the browser) and interface language."""
    preference, _created = UserPreference.objects.get_or_create(user=request.user)
    problem = ""
    if request.method == "POST":
        zone = request.POST.get("time_zone", "")
        language = request.POST.get("language", "")
        if zone and zone not in TIME_ZONES:
            problem = _("Unknown time zone.")
        elif language not in dict(settings.LANGUAGES):
            problem = _("Unknown language.")
        else:
            preference.time_zone = zone
            preference.language = language  # kept on the account: the next sign-in has it
            preference.save(update_fields=["time_zone", "language"])
            remember_zone(request, zone)
            remember_language(request, language)
            # The subscription's copy, which schedules the digest and words the emails.
            Subscription.objects.filter(user=request.user).update(
                time_zone=zone or timezone.get_current_timezone_name(), language=language
            )
            translation.activate(language)
            messages.success(request, _("Preferences saved."))
            response = redirect("preferences")
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
            return response
    return render(
        request,
        "registration/preferences.html",
        {
            "preference": preference,
            "time_zones": TIME_ZONES,
            "problem": problem,
            "current_zone": timezone.get_current_timezone_name(),
        },
        status=400 if problem else 200,
    )
