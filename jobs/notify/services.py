"""Changes to channels and rules, each with its audit entry (never the URL or the secret)."""

from __future__ import annotations

import secrets

from django.db import transaction

from jobs.notify.models import AFTER_MINUTES_MAX, AFTER_MINUTES_MIN, ENGLISH, Channel, Rule
from jobs.notify.targets import checked
from jobs.tenants import audit
from jobs.tenants.models import AuditEvent

Action = AuditEvent.Action
CHANNEL_ADDED = Action.NOTIFY_CHANNEL_ADDED
CHANNEL_REMOVED = Action.NOTIFY_CHANNEL_REMOVED
RULE_ADDED = Action.NOTIFY_RULE_ADDED
RULE_REMOVED = Action.NOTIFY_RULE_REMOVED
CHANNEL_TESTED = Action.NOTIFY_CHANNEL_TESTED


def add_channel(tenant, name: str, url: str, language: str = ENGLISH, **who) -> tuple[Channel, str]:
    """The channel and its webhook signing secret (shown once; "" for other kinds).
    Raises TargetRefused for a URL we do not send to, Refused for a bad name."""
    name = check_name(name)
    target = checked(url)
    channel = Channel(tenant=tenant, name=name, kind=target.kind, language=language)
    channel.url = url
    signing_secret = secrets.token_urlsafe(32) if target.kind == "webhook" else ""
    channel.signing_secret = signing_secret
    with transaction.atomic():
        channel.save()
        audit.record(CHANNEL_ADDED, tenant=tenant, channel=name, kind=target.kind, **who)
    return channel, signing_secret


def remove_channel(channel: Channel, **who) -> None:
    with transaction.atomic():
        audit.record(
            CHANNEL_REMOVED, tenant=channel.tenant, channel=channel.name, kind=channel.kind, **who
        )
        channel.delete()


class Refused(ValueError):
    """A channel's name or a rule's values are out of range; the message says which."""


RuleRefused = Refused
NAME_MAX = 100


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise Refused(f"a channel name has 1 to {NAME_MAX} characters, none of them control ones")
    return name


def add_rule(tenant, event: str, channel: Channel, after_minutes: int = 30, **who) -> Rule:
    if not isinstance(after_minutes, int) or not (
        AFTER_MINUTES_MIN <= after_minutes <= AFTER_MINUTES_MAX
    ):
        raise RuleRefused(
            f"after-minutes must be a whole number from {AFTER_MINUTES_MIN} to {AFTER_MINUTES_MAX}"
        )
    if channel.tenant_id != tenant.pk:
        raise RuleRefused("the channel belongs to another tenant")
    with transaction.atomic():
        rule, _ = Rule.objects.update_or_create(
            tenant=tenant,
            channel=channel,
            event=event,
            defaults={"after_minutes": after_minutes},
        )
        audit.record(
            RULE_ADDED,
            tenant=tenant,
            event=event,
            channel=channel.name,
            after_minutes=after_minutes,
            **who,
        )
    return rule


def remove_rule(rule: Rule, **who) -> None:
    with transaction.atomic():
        audit.record(
            RULE_REMOVED, tenant=rule.tenant, event=rule.event, channel=rule.channel.name, **who
        )
        rule.delete()


def record_test(channel: Channel, state: str, **who) -> None:
    audit.record(CHANNEL_TESTED, tenant=channel.tenant, channel=channel.name, outcome=state, **who)
