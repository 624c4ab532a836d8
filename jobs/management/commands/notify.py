"""`manage.py notify channel-add|rule-add|test|list`: notifications from scripts. A channel's URL
holds its secret: read from NOTIFY_URL or stdin, never from argv."""

from __future__ import annotations

import argparse
import os
import sys

from django.core.management.base import BaseCommand, CommandError

from jobs.notify import services
from jobs.notify.models import (
    AFTER_MINUTES_MAX,
    AFTER_MINUTES_MIN,
    ENGLISH,
    LANGUAGES,
    Channel,
    Delivery,
    Event,
    Rule,
)
from jobs.notify.targets import TargetRefused
from jobs.notify.worker import send_test
from jobs.tenants.models import Tenant

EVENTS = {e.value.replace("_", "-"): e.value for e in Event}
WHO = {"actor_name": "manage.py notify"}


def after_minutes(text: str) -> int:
    """argparse type: a clear usage error, never a traceback."""
    try:
        value = int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text[:40]!r}") from None
    if not AFTER_MINUTES_MIN <= value <= AFTER_MINUTES_MAX:
        raise argparse.ArgumentTypeError(
            f"must be from {AFTER_MINUTES_MIN} to {AFTER_MINUTES_MAX} minutes"
        )
    return value


class Command(BaseCommand):
    help = "Notification channels and rules: channel-add, rule-add, test, list."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser(
            "channel-add",
            help="Add a channel; the Apprise URL from NOTIFY_URL "
            "or stdin. Prints a webhook's signing secret once.",
        )
        add.add_argument("slug")
        add.add_argument("name")
        add.add_argument("--language", default=ENGLISH, choices=[code for code, _ in LANGUAGES])
        rule = sub.add_parser("rule-add", help="Route an event of the tenant to a channel.")
        rule.add_argument("slug")
        rule.add_argument("--event", required=True, choices=sorted(EVENTS))
        rule.add_argument("--channel", required=True)
        span = f"{AFTER_MINUTES_MIN} to {AFTER_MINUTES_MAX}"
        rule.add_argument(
            "--after-minutes", type=after_minutes, default=30, help=f"for sync-failing: {span}"
        )
        test = sub.add_parser("test", help="Send a test message; exit 0 only when delivered.")
        test.add_argument("slug")
        test.add_argument("name")
        listing = sub.add_parser("list", help="A tenant's channels and rules (never the URLs).")
        listing.add_argument("slug")

    def handle(self, *args, action, slug, **options):
        if any("\x00" in v for v in (slug, *options.values()) if isinstance(v, str)):
            raise CommandError("An argument contains a NUL character.")
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No tenant {slug!r}.")
        getattr(self, "_" + action.replace("-", "_"))(tenant, **options)

    def _channel_add(self, tenant, *, name, language, **options):
        url = os.environ.get("NOTIFY_URL") or self._read_url()
        if Channel.objects.filter(tenant=tenant, name=name).exists():
            raise CommandError(f"A channel named {name!r} exists.")
        try:
            channel, secret = services.add_channel(tenant, name, url, language, **WHO)
        except (TargetRefused, services.Refused) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Added {channel.kind} channel {channel.name!r}.")
        if secret:
            self.stdout.write(f"Signing secret (shown once): {secret}")

    def _read_url(self) -> str:
        if sys.stdin.isatty():
            self.stderr.write("Apprise URL (input hidden is not possible here; prefer NOTIFY_URL):")
        url = sys.stdin.readline().strip()
        if not url:
            raise CommandError("No URL: set NOTIFY_URL or pass it on stdin.")
        return url

    def _rule_add(self, tenant, *, event, channel, after_minutes, **options):
        target = self._channel(tenant, channel)
        try:
            services.add_rule(tenant, EVENTS[event], target, after_minutes, **WHO)
        except services.Refused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{event} → {target.name}")

    def _test(self, tenant, *, name, **options):
        channel = self._channel(tenant, name)
        delivery = send_test(channel)
        services.record_test(channel, delivery.state, **WHO)
        if delivery.state != Delivery.State.SENT:
            raise CommandError(f"Not delivered: {delivery.last_error}")
        self.stdout.write(f"Delivered to {channel.name}.")

    def _list(self, tenant, **options):
        for channel in Channel.objects.filter(tenant=tenant):
            hint = f"…{channel.url_hint}" if channel.url_hint else "set"
            self.stdout.write(
                f"channel\t{channel.name}\t{channel.kind}\t{hint}\t{channel.language}"
            )
        for rule in Rule.objects.filter(tenant=tenant).select_related("channel"):
            event = rule.event.replace("_", "-")
            extra = f"\t>{rule.after_minutes} min" if rule.is_sync_failing else ""
            self.stdout.write(f"rule\t{event}\t{rule.channel.name}{extra}")

    def _channel(self, tenant, name: str) -> Channel:
        channel = Channel.objects.filter(tenant=tenant, name=name).first()
        if channel is None:
            raise CommandError(f"No channel {name!r} in {tenant.slug}.")
        return channel
