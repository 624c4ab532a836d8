"""Tenants, roles, memberships and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from jobs.drs import REGIONS
from jobs.tenants import crypto

project_id_validator = RegexValidator(r"^[A-Za-z0-9-]{1,64}\Z", _("Letters, digits and hyphens."))


# A chain awaiting its next backup for longer than its tenant's threshold is stalled; the forms
# hold the threshold to 1 hour .. 30 days.
AWAITING_HOURS_DEFAULT = 24
AWAITING_HOURS_MIN = 1
AWAITING_HOURS_MAX = 720


class Tenant(models.Model):
    """One customer's cloud project, with the credentials we call DRS with."""

    class AuthMethod(models.TextChoices):
        PASSWORD = "password", _("IAM password token")
        AKSK = "aksk", _("Access key (AK/SK)")

    class Language(models.TextChoices):
        """The languages we speak, the one list. The value is DRS's X-Language (what a tenant
        stores); `interface` names the same language as Django does (settings.LANGUAGES), which
        is what notification channels and subscriptions store."""

        EN = "en-us", "English"
        ZH = "zh-cn", "简体中文"

        @property
        def interface(self) -> str:
            return {"en-us": "en", "zh-cn": "zh-hans"}[self.value]

        @classmethod
        def interface_choices(cls) -> list[tuple[str, str]]:
            return [(language.interface, language.label) for language in cls]

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    region = models.CharField(_("region"), max_length=40, choices=[(r, r) for r in REGIONS])
    project_id = models.CharField(_("project id"), max_length=64, validators=[project_id_validator])
    drs_endpoint = models.URLField(_("DRS endpoint override"), blank=True)
    iam_endpoint = models.URLField(_("IAM endpoint override"), blank=True)
    auth_method = models.CharField(_("authentication"), max_length=10, choices=AuthMethod.choices)
    language = models.CharField(
        _("DRS language"), max_length=5, choices=Language.choices, default=Language.EN
    )
    enterprise_project_id = models.CharField(_("enterprise project"), max_length=64, blank=True)
    # A database restored and awaiting its next backup for longer than this is "stalled".
    awaiting_threshold_hours = models.PositiveIntegerField(
        _("hours a database may await its next backup"), default=AWAITING_HOURS_DEFAULT
    )
    iam_domain = models.CharField(_("IAM account (domain)"), max_length=100, blank=True)
    iam_user = models.CharField(_("IAM user"), max_length=100, blank=True)
    access_key = models.CharField(_("access key id"), max_length=100, blank=True)
    # Fernet tokens; read and write through the properties below.
    password_encrypted = models.TextField(blank=True, editable=False)
    secret_key_encrypted = models.TextField(blank=True, editable=False)
    # Job actions (create, rename, delete, tags) are off until a tenant admin turns them on:
    # many tenants give us read-only credentials.
    actions_enabled = models.BooleanField(_("job actions enabled"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = _unique_slug(self.name)
        super().save(*args, **kwargs)

    @property
    def password(self) -> str:
        return crypto.decrypt(self.password_encrypted) if self.password_encrypted else ""

    @password.setter
    def password(self, value: str) -> None:
        self.password_encrypted = crypto.encrypt(value) if value else ""

    @property
    def secret_key(self) -> str:
        return crypto.decrypt(self.secret_key_encrypted) if self.secret_key_encrypted else ""

    @secret_key.setter
    def secret_key(self, value: str) -> None:
        self.secret_key_encrypted = crypto.encrypt(value) if value else ""


RESERVED_SLUGS = {"new"}  # tenants/new/ is the creation page


def _unique_slug(name: str) -> str:
    base = slugify(name)[:40] or "tenant"
    slug, n = base, 1
    while slug in RESERVED_SLUGS or Tenant.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


class Role(models.TextChoices):
    """Ordered: each role can do what the ones before it can."""

    VIEWER = "viewer", _("Viewer")
    OPERATOR = "operator", _("Operator")
    ADMIN = "admin", _("Admin")

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint("user", "tenant", name="one_membership_per_tenant")]
        ordering = ["tenant__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} · {self.tenant} · {self.role}"


class AuditEvent(models.Model):
    """Who did what, when, to which tenant, from where. Never holds a secret."""

    class Action(models.TextChoices):
        LOGIN = "login", _("Signed in")
        LOGIN_FAILED = "login_failed", _("Sign-in failed")
        LOGIN_LOCKED = "login_locked", _("Sign-in locked out")
        LOGOUT = "logout", _("Signed out")
        PASSWORD_CHANGED = "password_changed", _("Changed own password")
        TENANT_CREATED = "tenant_created", _("Tenant created")
        TENANT_UPDATED = "tenant_updated", _("Tenant updated")
        TENANT_DELETED = "tenant_deleted", _("Tenant deleted")
        CREDENTIALS_CHANGED = "credentials_changed", _("Credentials changed")
        CONNECTION_TESTED = "connection_tested", _("Connection tested")
        MEMBER_ADDED = "member_added", _("Member added")
        MEMBER_CHANGED = "member_changed", _("Member role changed")
        MEMBER_REMOVED = "member_removed", _("Member removed")
        KEYS_ROTATED = "keys_rotated", _("Credential keys rotated")
        NOTIFY_CHANNEL_ADDED = "notify_channel_added", _("Notification channel added")
        NOTIFY_CHANNEL_REMOVED = "notify_channel_removed", _("Notification channel removed")
        NOTIFY_CHANNEL_TESTED = "notify_channel_tested", _("Notification channel tested")
        NOTIFY_RULE_ADDED = "notify_rule_added", _("Notification rule added")
        NOTIFY_RULE_REMOVED = "notify_rule_removed", _("Notification rule removed")
        TOKEN_CREATED = "token_created", _("API token created")
        TOKEN_REVOKED = "token_revoked", _("API token revoked")
        EMAIL_CONFIRMATION_SENT = "email_confirmation_sent", _("Email confirmation sent")
        EMAIL_CONFIRMED = "email_confirmed", _("Email address confirmed")
        EMAIL_REMOVED = "email_removed", _("Email address removed")
        PERSON_INVITED = "person_invited", _("Person invited")
        PASSWORD_RESET_SENT = "password_reset_sent", _("Password reset email sent")
        PASSWORD_RESET_DONE = "password_reset_done", _("Password set from an email link")
        ACCOUNT_DEACTIVATED = "account_deactivated", _("Account deactivated")
        ACCOUNT_REACTIVATED = "account_reactivated", _("Account reactivated")
        ACTIONS_ENABLED = "actions_enabled", _("Job actions turned on")
        ACTIONS_DISABLED = "actions_disabled", _("Job actions turned off")
        JOB_CREATED = "job_created", _("DRS job created")
        JOB_CREATE_FAILED = "job_create_failed", _("DRS job create refused or failed")
        JOB_UPDATED = "job_updated", _("DRS job renamed or re-described")
        JOB_DELETED = "job_deleted", _("DRS job deleted")
        JOB_TAGGED = "job_tagged", _("DRS job tags changed")
        JOB_ACTION_FAILED = "job_action_failed", _("DRS job change refused or failed")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=30, choices=Action.choices, db_index=True)
    tenant = models.ForeignKey(Tenant, null=True, blank=True, on_delete=models.SET_NULL)
    tenant_name = models.CharField(max_length=100, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.tenant_name}"
