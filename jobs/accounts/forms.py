from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.utils.translation import gettext_lazy as _

from jobs.accounts.mail import absolute
from jobs.accounts.passwords import local_password_allowed
from jobs.tenants import audit
from jobs.tenants.models import Role, Tenant


class EmailForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self) -> str:
        address = self.cleaned_data["email"].strip()
        taken = get_user_model().objects.filter(email__iexact=address).exclude(pk=self.user.pk)
        if taken.exists():
            raise forms.ValidationError(_("Another account has this address."))
        return address


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        required=False,
        help_text=_("Leave empty to use the part of the address before the @."),
    )
    tenant = forms.ModelChoiceField(label=_("Tenant"), queryset=Tenant.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)

    def __init__(self, *args, tenants=None, superuser=False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tenant"].queryset = tenants if tenants is not None else Tenant.objects.none()
        self.fields["tenant"].required = not superuser
        if superuser:
            self.fields["tenant"].empty_label = _("(none yet)")


class AuditedPasswordResetForm(PasswordResetForm):
    """Django's "forgot password" form: the link built from DASHBOARD_BASE_URL, each email sent
    audited (an address that matches nobody gets no email, and the page says the same)."""

    def get_users(self, email):
        """Not for people whose local password is off (single sign-on)."""
        return (u for u in super().get_users(email) if local_password_allowed(u.get_username()))

    def save(self, *args, request=None, **kwargs) -> None:
        for user in self.get_users(self.cleaned_data["email"]):
            audit.record(
                audit.Action.PASSWORD_RESET_SENT,
                request=request,
                actor=user,
                member=user.get_username(),
                by="self",
            )
        kwargs["extra_email_context"] = {"base_url": absolute("")}
        super().save(*args, request=request, **kwargs)
