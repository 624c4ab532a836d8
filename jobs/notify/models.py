"""Notification models of the `jobs` app (listed for Django in jobs/models.py): channels, rules,
watches, subscriptions and the outbox of deliveries, typed by one list of events."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from jobs.mirror.models import Chain, ChainStep, JobEvent
from jobs.tenants import crypto
from jobs.tenants.models import Tenant


def _choices(qualname: str, *members: models.TextChoices, **more: tuple) -> type:
    """A TextChoices of existing `members` (value and label as they are) and `more` of its own:
    a list derived from another one instead of copied from it."""
    return models.TextChoices(
        qualname.rpartition(".")[2],
        [(m.name, (m.value, m.label)) for m in members] + list(more.items()),
        module=__name__,
        qualname=qualname,
    )


# What a rule routes: the job events a rule can ask for (JobEvent.Kind is the one list of job
# events; renames and deletions are not routed), plus the tenant's sync failing for a while.
Event = _choices(
    "Event",
    JobEvent.Kind.FAILED,
    JobEvent.Kind.PRECHECK_FAILED,
    JobEvent.Kind.SUCCEEDED,
    JobEvent.Kind.STALLED,
    JobEvent.Kind.AWAITING_CUTOVER,
    JobEvent.Kind.DATABASE_ONLINE,
    JobEvent.Kind.CHAIN_BLOCKED,
    SYNC_FAILING=("sync_failing", _("Sync failing")),
)

JOB_EVENTS = set(Event) - {Event.SYNC_FAILING}
# A migration's events (jobs.mirror.chains): on the chain's last step, about its database.
CHAIN_EVENTS = {
    JobEvent.Kind.AWAITING_CUTOVER,
    JobEvent.Kind.DATABASE_ONLINE,
    JobEvent.Kind.CHAIN_BLOCKED,
}
ENDED = {JobEvent.Kind.SUCCEEDED, JobEvent.Kind.FAILED, JobEvent.Kind.PRECHECK_FAILED}
FAILURES = {JobEvent.Kind.FAILED, JobEvent.Kind.PRECHECK_FAILED}

# A message's language: Tenant.Language is the one list, stored here under Django's codes.
LANGUAGES = Tenant.Language.interface_choices()
ENGLISH = Tenant.Language.EN.interface


class Channel(models.Model):
    """Where a tenant's messages go: one Apprise URL, encrypted; write-only everywhere."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="notify_channels")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(max_length=20)  # email, webhook, slack, … (from the URL's scheme)
    url_encrypted = models.TextField(editable=False)
    url_hint = models.CharField(max_length=8, blank=True, editable=False)  # last 4 when long
    signing_secret_encrypted = models.TextField(blank=True, editable=False)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGES, default=ENGLISH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("tenant", "name", name="one_channel_name_per_tenant")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    def __repr__(self) -> str:
        return f"<Channel {self.pk} {self.kind}>"

    @property
    def url(self) -> str:
        return crypto.decrypt(self.url_encrypted)

    @url.setter
    def url(self, value: str) -> None:
        self.url_encrypted = crypto.encrypt(value)
        self.url_hint = value[-4:] if len(value) >= 16 else ""

    @property
    def signing_secret(self) -> str:
        s = self.signing_secret_encrypted
        return crypto.decrypt(s) if s else ""

    @signing_secret.setter
    def signing_secret(self, value: str) -> None:
        self.signing_secret_encrypted = crypto.encrypt(value) if value else ""


AFTER_MINUTES_MIN = 1
AFTER_MINUTES_MAX = 30 * 24 * 60  # 30 days: forms, the CLI and the dispatcher hold to this


def clamp_after_minutes(value) -> int:
    """A stored value outside the range (written before it was checked) still makes a valid
    wait for the dispatcher."""
    try:
        return min(max(int(value), AFTER_MINUTES_MIN), AFTER_MINUTES_MAX)
    except (TypeError, ValueError, OverflowError):
        return AFTER_MINUTES_MAX


class Rule(models.Model):
    """A tenant's events of one kind go to one channel."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="notify_rules")
    event = models.CharField(_("event"), max_length=20, choices=Event.choices)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="rules")
    after_minutes = models.PositiveIntegerField(
        _("after (minutes)"), default=30, help_text=_("For “sync failing” only.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["event", "channel__name"]
        constraints = [
            models.UniqueConstraint("channel", "event", name="one_rule_per_channel_event")
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.channel.name}"

    @property
    def is_sync_failing(self) -> bool:
        """The one kind of rule that waits `after_minutes`."""
        return self.event == Event.SYNC_FAILING


class Watch(models.Model):
    """ "Tell me when this job ends", by email to the member's own address."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="job_watches"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="job_watches")
    job_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("user", "tenant", "job_id", name="one_watch_per_user_job")
        ]

    def __str__(self) -> str:
        return f"{self.user} watches {self.tenant_id}/{self.job_id}"


def open_migration(tenant, job_id: str) -> bool:
    """Whether the job is a step of a migration not yet online (restoring, awaiting its next
    backup, blocked): watching it, even finished, is watching that migration's events."""
    return (
        ChainStep.objects.filter(chain__tenant=tenant, job__job_id=job_id)
        .exclude(chain__state=Chain.State.ONLINE)
        .exists()
    )


def watch_state(user, tenant, job_id: str) -> tuple[bool, bool]:
    """(whether `user` watches the job, whether it is a step of a migration not yet online), in
    one query: the job page asks both for every visitor, around its cached body."""
    open_steps = ChainStep.objects.filter(chain__tenant=OuterRef("pk"), job__job_id=job_id)
    row = (
        Tenant.objects.filter(pk=tenant.pk)
        .annotate(
            watching=Exists(Watch.objects.filter(user=user, tenant=OuterRef("pk"), job_id=job_id)),
            migration=Exists(open_steps.exclude(chain__state=Chain.State.ONLINE)),
        )
        .values_list("watching", "migration")
        .first()
    )
    return (bool(row[0]), bool(row[1])) if row else (False, False)


class Subscription(models.Model):
    """A member's own email: failures in their tenants, and a daily digest at a local time."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_subscription"
    )
    failures = models.BooleanField(_("email me failures in my tenants"), default=False)
    digest_at = models.TimeField(_("daily digest at"), null=True, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGES, default=ENGLISH)
    last_digest_on = models.DateField(null=True, blank=True)  # in the user's time zone

    def __str__(self) -> str:
        return f"subscription of {self.user}"


class Delivery(models.Model):
    """One message to one destination, in the outbox. `key` is unique: one row per (rule or
    watch or subscription, transition). Workers claim rows with a conditional update and a
    lease; a claim whose worker died is taken again once the lease has passed."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        RETRYING = "retrying", _("Retrying")
        FAILED = "failed", _("Failed")

    # What the message says: an event, a daily digest, or a channel's test.
    Kind = _choices(
        "Delivery.Kind",
        *Event,
        DIGEST=("digest", _("Daily digest")),
        TEST=("test", _("Test message")),
    )

    class Source(models.TextChoices):
        """Why it is sent: a tenant's rule, a person's watch, failures subscription or digest,
        or a channel's test."""

        RULE = "rule", _("Rule")
        WATCH = "watch", _("Watch")
        FAILURES = "failures", _("Failures in my tenants")
        DIGEST = "digest", _("Daily digest")
        TEST = "test", _("Test message")

    key = models.CharField(max_length=200, unique=True)
    tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.CASCADE, related_name="notify_deliveries"
    )
    event = models.ForeignKey(
        JobEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.SET_NULL)
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    user = models.ForeignKey(  # personal email (watch, failures, digest)
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    source = models.CharField(max_length=20, choices=Source.choices)
    detail = models.JSONField(default=dict, blank=True)  # e.g. the sync failure's start
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)  # the claiming worker's token
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_try_at"],
                name="deliveries_due",
                condition=models.Q(state__in=["pending", "retrying", "sending"]),
            ),
            models.Index(fields=["tenant", "-created_at"], name="deliveries_tenant"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.state}"
