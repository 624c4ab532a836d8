"""The token pages: each person's own tokens (under Preferences), and a tenant's members' tokens
for its admins. A new token is shown once, on the answer to the form that made it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.validators import MaxValueValidator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from jobs.api import tokens
from jobs.tenants.access import Role, signed_in, tenant_role


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    access = forms.ChoiceField(
        label=gettext_lazy("Access"),
        choices=[("read", gettext_lazy("Read-only")), ("write", gettext_lazy("Read-write"))],
        initial="read",
        help_text=gettext_lazy("Read-write matters only once the API can change jobs."),
    )
    days = forms.IntegerField(
        label=gettext_lazy("Expires after (days)"), min_value=1, initial=tokens.DEFAULT_DAYS
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["days"].validators.append(MaxValueValidator(tokens.max_days()))
        self.fields["days"].widget.attrs["max"] = tokens.max_days()


@signed_in
@require_http_methods(["GET", "POST"])
def my_tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    secret, status = "", 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _token, secret = tokens.create(
                    request.user,
                    form.cleaned_data["name"],
                    read_only=form.cleaned_data["access"] == "read",
                    days=form.cleaned_data["days"],
                    actor=request.user,
                    request=request,
                )
                form = TokenForm()
            except tokens.TokenProblem as problem:
                form.add_error("name", str(problem))
        status = 201 if secret else 400
    response = render(
        request,
        "api/tokens.html",
        {"form": form, "secret": secret, "tokens": tokens.own(request.user)},
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


@signed_in
@require_POST
def revoke_mine(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(tokens.own(request.user), pk=token_id)
    if tokens.revoke(token, request=request):
        messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("api_tokens")


@tenant_role(Role.ADMIN)
@require_http_methods(["GET"])
def tenant_tokens(request: HttpRequest, tenant) -> HttpResponse:
    rows = tokens.administered(request.user, tenant)
    return render(request, "api/tenant_tokens.html", {"tenant": tenant, "tokens": rows})


@tenant_role(Role.ADMIN)
@require_POST
def tenant_token_revoke(request: HttpRequest, tenant, token_id: int) -> HttpResponse:
    token = tokens.administered(request.user, tenant).filter(pk=token_id).first()
    if token is None:
        raise Http404
    if tokens.revoke(token, request=request):
        messages.success(
            request,
            _("Token “%(name)s” of %(user)s revoked.")
            % {"name": token.name, "user": token.user.get_username()},
        )
    return redirect("tenant_tokens", slug=tenant.slug)
