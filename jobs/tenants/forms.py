"""Forms for tenants, their members and the audit log filter."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from jobs.drs import REGIONS, endpoints_for
from jobs.tenants import credentials, crypto
from jobs.tenants.endpoints import endpoint_problem
from jobs.tenants.models import (
    AWAITING_HOURS_DEFAULT,
    AWAITING_HOURS_MAX,
    AWAITING_HOURS_MIN,
    AuditEvent,
    Role,
    Tenant,
)

HINT_MIN_LENGTH = 16  # shorter secrets would give away too much of themselves


@sensitive_variables()
def _hint(read) -> str:
    try:
        value = read()
    except crypto.UndecryptableSecret:
        return str(_("set, but not readable with the configured keys: enter it again"))
    if len(value) < HINT_MIN_LENGTH:
        return str(_("set; leave empty to keep"))
    return str(_("set (…%(last4)s); leave empty to keep")) % {"last4": value[-4:]}


class _KeptWhenEmpty(forms.IntegerField):
    """A number a form may leave out (scripts and older pages post without it): empty keeps
    the stored value, and is no change."""

    def has_changed(self, initial, data) -> bool:
        return data not in self.empty_values and super().has_changed(initial, data)


def _region_label(region: str) -> str:
    if endpoints_for(region).v5_documented:
        return _("%(region)s — v5 documented") % {"region": region}
    return _("%(region)s — v5 unconfirmed") % {"region": region}


class TenantForm(forms.ModelForm):
    """Secrets are write-only: never rendered back; an empty field keeps the stored value."""

    # Length caps are checked by the validators (whose messages never echo the value); the
    # widgets' maxlength keeps browsers from sending more.
    password = forms.CharField(
        label=_("IAM password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"maxlength": credentials.PASSWORD_MAX}),
        validators=[credentials.validate_password],
    )
    secret_key = forms.CharField(
        label=_("Secret access key"),
        required=False,
        widget=forms.PasswordInput(attrs={"maxlength": credentials.SECRET_KEY_MAX}),
        validators=[credentials.validate_secret_key],
    )
    drs_endpoint = forms.URLField(
        label=_("DRS endpoint override"),
        required=False,
        assume_scheme="https",
        help_text=_("Leave empty to use the region's endpoint."),
    )
    iam_endpoint = forms.URLField(
        label=_("IAM endpoint override"),
        required=False,
        assume_scheme="https",
        help_text=_("Leave empty to use the region's endpoint."),
    )

    awaiting_threshold_hours = _KeptWhenEmpty(
        label=_("Stalled after (hours awaiting the next backup)"),
        required=False,
        min_value=AWAITING_HOURS_MIN,
        max_value=AWAITING_HOURS_MAX,
        help_text=_(
            "A database restored and left RESTORING while it waits for its next backup counts "
            "as stalled after this many hours (1 to 720; 24 unless changed), and the "
            "“awaiting cutover” notification is sent then."
        ),
    )

    class Meta:
        model = Tenant
        fields = [
            "name",
            "region",
            "project_id",
            "auth_method",
            "iam_domain",
            "iam_user",
            "access_key",
            "language",
            "enterprise_project_id",
            "drs_endpoint",
            "iam_endpoint",
            "awaiting_threshold_hours",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", "---------")] + [
            (region, _region_label(region)) for region in REGIONS
        ]
        self.fields["region"].help_text = _(
            "DRS documents the v5 backup-migration API for cn-south-2 and cn-south-4 only; other "
            "regions may or may not serve it: test the connection."
        )
        self.fields["access_key"].validators.append(credentials.validate_access_key)
        self.fields["access_key"].widget.attrs["maxlength"] = credentials.ACCESS_KEY_MAX
        for name in ("iam_domain", "iam_user"):
            self.fields[name].validators.append(credentials.validate_name)
            self.fields[name].widget.attrs["maxlength"] = credentials.NAME_MAX
        tenant = self.instance
        if tenant.pk and tenant.password_encrypted:
            self.fields["password"].help_text = _hint(lambda: tenant.password)
        if tenant.pk and tenant.secret_key_encrypted:
            self.fields["secret_key"].help_text = _hint(lambda: tenant.secret_key)

    def clean_awaiting_threshold_hours(self) -> int:
        hours = self.cleaned_data.get("awaiting_threshold_hours")
        if hours is None:  # left out: keep what is stored (the default for a new tenant)
            return self.instance.awaiting_threshold_hours or AWAITING_HOURS_DEFAULT
        return hours

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

    # Changing where or as whom we connect needs the secret typed again: a stored secret is never
    # sent to an endpoint or identity it was not entered for.
    SECRET_BOUND = (
        "drs_endpoint",
        "iam_endpoint",
        "auth_method",
        "iam_domain",
        "iam_user",
        "access_key",
        "project_id",
        "region",
    )

    @sensitive_variables()
    def clean(self) -> dict:
        data = super().clean()
        method = data.get("auth_method")
        tenant = self.instance
        if tenant.pk and set(self.changed_data) & set(self.SECRET_BOUND):
            secret = "password" if method == Tenant.AuthMethod.PASSWORD else "secret_key"
            if not data.get(secret):
                self.add_error(
                    secret,
                    _("Enter it again: the endpoint, region, project or identity changed."),
                )
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

    @sensitive_variables()
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
    """Adds a member; never changes one (the list does that, and forbids changing oneself).
    Unknown and inactive usernames get the same message, so the form tells nothing about
    which accounts exist."""

    username = forms.CharField(label=_("Username"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant

    def clean_username(self):
        username = self.cleaned_data["username"]
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No user with that username can be added."))
        if self.tenant.memberships.filter(user=user).exists():
            raise forms.ValidationError(_("Already a member: change the role in the list above."))
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
        super().__init__(*args, **kwargs)
        self.fields["tenant"].queryset = tenants if tenants is not None else Tenant.objects.none()
        self.fields["action"].choices = [("", _("Any action")), *AuditEvent.Action.choices]
