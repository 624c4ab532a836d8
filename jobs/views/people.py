"""One's own email address; the people page of superusers and tenant admins; Django's password
reset pages (the "forgot password" link and the links the people page sends)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jobs.accounts import people as services
from jobs.accounts.forms import AuditedPasswordResetForm, EmailForm, InviteForm
from jobs.accounts.models import UserPreference
from jobs.tenants import audit
from jobs.tenants.access import public, signed_in

# -- one's own address --------------------------------------------------------------------------


@signed_in
@require_http_methods(["GET", "POST"])
def account_email(request: HttpRequest) -> HttpResponse:
    preference, _created = UserPreference.objects.get_or_create(user=request.user)
    form = EmailForm(request.POST or None, user=request.user)
    if request.method == "POST" and "remove" in request.POST:
        services.remove_email(request.user, request=request)
        messages.success(request, _("Email address removed: you will get no email."))
        return redirect("account_email")
    if request.method == "POST" and form.is_valid():
        address = form.cleaned_data["email"]
        services.request_email(request.user, address, request=request)
        messages.success(
            request,
            _(
                "We sent a link to %(email)s. Open it to confirm the address; until then "
                "nothing is sent there."
            )
            % {"email": address},
        )
        return redirect("account_email")
    context = {"form": form, "pending": preference.pending_email}
    return render(request, "people/email.html", context, status=400 if form.errors else 200)


@signed_in
@require_GET
def account_email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        address = services.confirm_email(request.user, token, request=request)
    except services.Refused as refused:
        context = {
            "form": EmailForm(user=request.user),
            "problem": str(refused),
            "pending": getattr(getattr(request.user, "preference", None), "pending_email", ""),
        }
        return render(request, "people/email.html", context, status=400)
    messages.success(request, _("Confirmed: notifications go to %(email)s.") % {"email": address})
    return redirect("account_email")


# -- the people page ----------------------------------------------------------------------------


def _may_manage_people(request) -> None:
    if not services.may_manage_people(request.user):
        raise Http404


@signed_in
@require_GET
def people(request: HttpRequest) -> HttpResponse:
    _may_manage_people(request)
    return _people_page(request)


def _people_page(request, form: InviteForm | None = None, status: int = 200) -> HttpResponse:
    actor = request.user
    persons = list(services.people_for(actor).prefetch_related("memberships__tenant"))
    for person in persons:
        person.manageable = services.may_manage(actor, person)
        person.tenants = [m.tenant.name for m in person.memberships.all()]
    tenants = services.admin_tenants(actor)
    form = form or InviteForm(tenants=tenants, superuser=actor.is_superuser)
    context = {"persons": persons, "form": form}
    return render(request, "people/list.html", context, status=status)


@signed_in
@require_POST
def people_invite(request: HttpRequest) -> HttpResponse:
    _may_manage_people(request)
    actor = request.user
    tenants = services.admin_tenants(actor)
    form = InviteForm(request.POST, tenants=tenants, superuser=actor.is_superuser)
    if not form.is_valid():
        return _people_page(request, form=form, status=400)
    data = form.cleaned_data
    try:
        person = services.invite(
            actor,
            data["email"],
            data["tenant"],
            data["role"],
            username=data["username"],
            request=request,
        )
    except services.Refused as refused:
        form.add_error(None, str(refused))
        return _people_page(request, form=form, status=400)
    messages.success(
        request,
        _("Invited %(name)s: the email to %(email)s has the link to choose a password.")
        % {"name": person.get_username(), "email": person.email},
    )
    return redirect("people")


@signed_in
@require_POST
def person_action(request: HttpRequest, user_id: int) -> HttpResponse:
    _may_manage_people(request)
    person = get_object_or_404(services.people_for(request.user), pk=user_id)
    action = request.POST.get("action", "")
    name = person.get_username()
    try:
        if action == "reset":
            services.send_password_reset(request.user, person, request=request)
            messages.success(request, _("Password reset email sent to %(name)s.") % {"name": name})
        elif action in ("deactivate", "reactivate"):
            services.set_active(request.user, person, action == "reactivate", request=request)
            done = (
                _("%(name)s can sign in again.")
                if action == "reactivate"
                else _("%(name)s is deactivated: they cannot sign in, and their sessions end now.")
            )
            messages.success(request, done % {"name": name})
        else:
            messages.error(request, _("Choose an action."))
    except services.Refused as refused:
        messages.error(request, str(refused))
    return redirect("people")


# -- Django's password reset flow ---------------------------------------------------------------


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        audit.record(audit.Action.PASSWORD_RESET_DONE, actor=form.user, request=self.request)
        return response

    def form_invalid(self, form) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)


password_reset = public(
    auth_views.PasswordResetView.as_view(
        form_class=AuditedPasswordResetForm,
        email_template_name="registration/password_reset_email.txt",
        subject_template_name="registration/password_reset_subject.txt",
        success_url=reverse_lazy("password_reset_done"),
    )
)
password_reset_done = public(auth_views.PasswordResetDoneView.as_view())
password_reset_confirm = public(
    method_decorator(sensitive_post_parameters("new_password1", "new_password2"), "dispatch")(
        PasswordResetConfirmView
    ).as_view()
)
password_reset_complete = public(auth_views.PasswordResetCompleteView.as_view())
