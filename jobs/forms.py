from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .models import Role, Tenant
from .upstream import endpoint_problem


def _hint(value: str) -> str:
    return str(_("set (…%(last4)s); leave empty to keep")) % {"last4": value[-4:]}


class TenantForm(forms.ModelForm):
    """Secrets are write-only: never rendered back; an empty field keeps the stored value."""

    password = forms.CharField(
        label=_("IAM password"), required=False, strip=False, widget=forms.PasswordInput()
    )
    secret_key = forms.CharField(
        label=_("Secret access key"), required=False, widget=forms.PasswordInput()
    )
    drs_endpoint = forms.URLField(
        label=_("DRS endpoint override"), required=False, assume_scheme="https",
        help_text=_("Leave empty to use the region's endpoint."),
    )  # fmt: skip
    iam_endpoint = forms.URLField(
        label=_("IAM endpoint override"), required=False, assume_scheme="https",
        help_text=_("Leave empty to use the region's endpoint."),
    )  # fmt: skip

    class Meta:
        model = Tenant
        fields = [
            "name", "region", "project_id", "auth_method", "iam_domain", "iam_user",
            "access_key", "language", "enterprise_project_id", "drs_endpoint", "iam_endpoint",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        tenant = self.instance
        if tenant.pk and tenant.password_encrypted:
            self.fields["password"].help_text = _hint(tenant.password)
        if tenant.pk and tenant.secret_key_encrypted:
            self.fields["secret_key"].help_text = _hint(tenant.secret_key)

    def clean_drs_endpoint(self) -> str:
        return self._endpoint("drs_endpoint")

    def clean_iam_endpoint(self) -> str:
        return self._endpoint("iam_endpoint")

    def _endpoint(self, field: str) -> str:
        url = self.cleaned_data.get(field, "")
        problem = endpoint_problem(url)
        if problem:
            raise forms.ValidationError(problem)
        return url.rstrip("/")

    def clean(self) -> dict:
        data = super().clean()
        method = data.get("auth_method")
        tenant = self.instance
        if method == Tenant.AuthMethod.PASSWORD:
            for field in ("iam_domain", "iam_user"):
                if not data.get(field):
                    self.add_error(field, _("Required for IAM password authentication."))
            if not data.get("password") and not tenant.password_encrypted:
                self.add_error("password", _("Required for IAM password authentication."))
        elif method == Tenant.AuthMethod.AKSK:
            if not data.get("access_key"):
                self.add_error("access_key", _("Required for AK/SK authentication."))
            if not data.get("secret_key") and not tenant.secret_key_encrypted:
                self.add_error("secret_key", _("Required for AK/SK authentication."))
        return data

    def apply_secrets(self) -> list[str]:
        """Set the secrets typed into the form on the instance; returns which ones changed."""
        changed = []
        for field in ("password", "secret_key"):
            value = self.cleaned_data.get(field)
            if value:
                setattr(self.instance, field, value)
                changed.append(field)
        return changed

    def save(self, commit: bool = True) -> Tenant:
        tenant = super().save(commit=False)
        self.changed_secrets = self.apply_secrets()
        if commit:
            tenant.save()
        return tenant


class MemberForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)

    def clean_username(self):
        username = self.cleaned_data["username"]
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise forms.ValidationError(_("No user with that username."))
        return user


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class AuditFilterForm(forms.Form):
    tenant = forms.ModelChoiceField(
        label=_("Tenant"), queryset=Tenant.objects.none(), required=False
    )
    actor = forms.CharField(label=_("Who"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("What"), required=False)
    since = forms.DateField(
        label=_("Since"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, tenants=None, **kwargs) -> None:
        from .models import AuditEvent

        super().__init__(*args, **kwargs)
        self.fields["tenant"].queryset = tenants if tenants is not None else Tenant.objects.none()
        self.fields["action"].choices = [("", _("Any action")), *AuditEvent.Action.choices]
