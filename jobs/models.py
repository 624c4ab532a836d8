from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from jobs import crypto
from jobs.drs import REGIONS
from jobs.drs.models import FAILED, PRECHECK_FAILED

# In a fixed order: the failures index's condition and the queries must spell it alike.
FAILED_STATUSES = (str(FAILED), str(PRECHECK_FAILED))

project_id_validator = RegexValidator(r"^[A-Za-z0-9-]{1,64}\Z", _("Letters, digits and hyphens."))


class Tenant(models.Model):
    """One customer's cloud project, with the credentials we call DRS with."""

    class AuthMethod(models.TextChoices):
        PASSWORD = "password", _("IAM password token")
        AKSK = "aksk", _("Access key (AK/SK)")

    class Language(models.TextChoices):
        EN = "en-us", "English"
        ZH = "zh-cn", "简体中文"

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
    iam_domain = models.CharField(_("IAM account (domain)"), max_length=100, blank=True)
    iam_user = models.CharField(_("IAM user"), max_length=100, blank=True)
    access_key = models.CharField(_("access key id"), max_length=100, blank=True)
    # Fernet tokens; read and write through the properties below.
    password_encrypted = models.TextField(blank=True, editable=False)
    secret_key_encrypted = models.TextField(blank=True, editable=False)
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
        EMAIL_CONFIRMATION_SENT = "email_confirmation_sent", _("Email confirmation sent")
        EMAIL_CONFIRMED = "email_confirmed", _("Email address confirmed")
        EMAIL_REMOVED = "email_removed", _("Email address removed")
        PERSON_INVITED = "person_invited", _("Person invited")
        PASSWORD_RESET_SENT = "password_reset_sent", _("Password reset email sent")
        PASSWORD_RESET_DONE = "password_reset_done", _("Password set from an email link")
        ACCOUNT_DEACTIVATED = "account_deactivated", _("Account deactivated")
        ACCOUNT_REACTIVATED = "account_reactivated", _("Account reactivated")

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


class JobSnapshot(models.Model):
    """The last response we got for a job, kept so the page survives upstream failures."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="snapshots")
    job_id = models.CharField(max_length=64)
    name = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=40, blank=True)
    raw_json = models.TextField()
    request_id = models.CharField(max_length=64, blank=True)
    fetched_at = models.DateTimeField()
    first_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint("tenant", "job_id", name="one_snapshot_per_job")]

    def __str__(self) -> str:
        return f"{self.tenant} {self.job_id} {self.status}"

    @property
    def history(self):
        """The job's status history, kept on its mirror row."""
        return JobStatusChange.objects.filter(job__tenant=self.tenant_id, job__job_id=self.job_id)


class MirroredJob(models.Model):
    """What we know of one job, kept fresh by the background sync (`jobs.sync`). Fleet pages
    read these rows and never call DRS."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="mirrored_jobs")
    job_id = models.CharField(max_length=64)
    name = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=40, blank=True)
    engine_type = models.CharField(max_length=40, blank=True)
    error_log = models.TextField(blank=True)
    description = models.TextField(blank=True)
    create_time = models.DateTimeField(null=True, blank=True)
    finish_time = models.DateTimeField(null=True, blank=True)
    enterprise_project_id = models.CharField(max_length=64, blank=True)
    # `jobs.hints.signature(error_log)`, written with the error log: failures group by it.
    failure_signature = models.CharField(max_length=120, blank=True)
    # From the detail response: the backup files' total, and its size class (powers of 4).
    total_bytes = models.BigIntegerField(null=True, blank=True)
    size_class = models.SmallIntegerField(null=True, blank=True)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()  # when DRS last showed it to us
    synced_at = models.DateTimeField()  # when the row was last written
    deleted_at = models.DateTimeField(null=True, blank=True)  # gone from DRS
    stalled_at = models.DateTimeField(null=True, blank=True)  # flagged "longer than usual"
    needs_detail = models.BooleanField(default=False)  # status changed: fetch the detail
    snapshot = models.ForeignKey(
        JobSnapshot, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "job_id"], name="one_mirror_row_per_job")
        ]
        indexes = [
            models.Index(fields=["tenant", "-create_time"], name="mirror_tenant_created"),
            models.Index(fields=["tenant", "status", "-create_time"], name="mirror_tenant_status"),
            models.Index(fields=["status", "-create_time"], name="mirror_status_created"),
            models.Index(fields=["job_id"], name="mirror_job_id"),
            models.Index(
                fields=["tenant", "size_class", "status"], name="mirror_tenant_size_class"
            ),
            models.Index(
                fields=["tenant"],
                name="mirror_needs_detail",
                condition=models.Q(needs_detail=True),
            ),
            # The fleet pages: counts over recent jobs, running jobs, failures by cause.
            models.Index(
                fields=["tenant", "-create_time", "status"],
                name="mirror_recent",
                condition=models.Q(deleted_at=None),
            ),
            models.Index(
                fields=["tenant", "create_time"],
                name="mirror_unfinished",
                condition=models.Q(deleted_at=None, finish_time=None),
            ),
            models.Index(
                fields=["failure_signature", "-create_time", "tenant"],
                name="mirror_failures",
                condition=models.Q(deleted_at=None, status__in=FAILED_STATUSES),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.job_id} {self.status}"

    @property
    def is_terminal(self) -> bool:
        from jobs.drs import is_terminal

        return is_terminal(self.status) or self.finish_time is not None

    @property
    def is_failed(self) -> bool:
        return "FAILED" in self.status

    @property
    def is_running(self) -> bool:
        return not self.is_terminal and self.deleted_at is None

    def duration(self, now: datetime | None = None) -> timedelta | None:
        if self.create_time is None:
            return None
        end = self.finish_time or (None if self.is_terminal else (now or timezone.now()))
        return None if end is None else max(end - self.create_time, timedelta(0))


class JobStatusChange(models.Model):
    """A status the job was seen in: when we saw it, and DRS's own finish time if it had one."""

    job = models.ForeignKey(MirroredJob, on_delete=models.CASCADE, related_name="history")
    status = models.CharField(max_length=40)
    seen_at = models.DateTimeField()
    finish_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["seen_at", "id"]

    def __str__(self) -> str:
        return f"{self.status} at {self.seen_at:%Y-%m-%d %H:%M:%S}"

    @property
    def happened_at(self) -> datetime:
        """The upstream finish time when there is one: right even when nobody was watching."""
        return self.finish_time or self.seen_at


class JobEvent(models.Model):
    """ "This job changed", for notifications: written with the change, claimed by a sender
    with `filter(pk=…, processed_at=None).update(processed_at=now)`."""

    class Kind(models.TextChoices):
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        PRECHECK_FAILED = "precheck_failed", _("Pre-check failed")
        STALLED = "stalled", _("Running longer than usual")
        DELETED = "deleted", _("Deleted in DRS")
        RENAMED = "renamed", _("Renamed")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="job_events")
    job = models.ForeignKey(MirroredJob, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField()  # upstream time when known, else when we saw it
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "kind", "occurred_at"], name="one_event_per_change"
            )
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="events_waiting",
                condition=models.Q(processed_at=None),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.job_id} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"


class TenantSyncState(models.Model):
    """How the background sync of one tenant is going."""

    tenant = models.OneToOneField(
        Tenant, on_delete=models.CASCADE, primary_key=True, related_name="sync_state"
    )
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_full_walk_at = models.DateTimeField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(default=0)
    last_calls = models.PositiveIntegerField(default=0)
    last_note = models.CharField(max_length=200, blank=True)  # e.g. "call budget spent"
    running_jobs = models.PositiveIntegerField(default=0)
    jobs_total = models.PositiveIntegerField(default=0)  # mirror rows not deleted, after a run
    next_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    error = models.TextField(blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_request_id = models.CharField(max_length=64, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    calls_ok_total = models.PositiveBigIntegerField(default=0)
    calls_failed_total = models.PositiveBigIntegerField(default=0)
    calls_throttled_total = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"sync of {self.tenant_id}"

    @property
    def is_failing(self) -> bool:
        return self.failing_since is not None


class UserPreference(models.Model):
    """Per-user display settings; an empty time zone means "as the browser reports it"."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    # The interface language chosen on the account (empty: the browser's), kept across sign-ins.
    language = models.CharField(_("language"), max_length=8, blank=True)
    # An address the person asked for and has not confirmed yet: `user.email` (where every
    # notification goes) changes only once the link sent to it is opened.
    pending_email = models.EmailField(_("unconfirmed email address"), blank=True)
    # The last filters used on each tenant's job list: {tenant slug: query string}.
    list_filters = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.time_zone or 'browser'}"


from jobs.notify.models import Channel, Delivery, Rule, Subscription, Watch  # noqa: E402, F401
