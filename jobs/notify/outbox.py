"""Turning events into deliveries. `enqueue_for_event` runs inside the transaction that writes
the event (`jobs.notify.receivers` calls it on the mirror's `job_event_recorded` signal), so an
event and its deliveries exist together or not at all.
Each delivery's key is unique: one message per (rule or person, transition), however often
this runs."""

from __future__ import annotations

import logging
import zoneinfo
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from jobs.mirror import chains
from jobs.mirror.models import ChainStep, JobEvent, TenantSyncState
from jobs.notify.models import (
    CHAIN_EVENTS,
    ENDED,
    FAILURES,
    JOB_EVENTS,
    Delivery,
    Event,
    Rule,
    Subscription,
    Watch,
    clamp_after_minutes,
)
from jobs.tenants.models import Membership

log = logging.getLogger(__name__)
DIGEST_WINDOW = timedelta(hours=1)  # a digest missed by more than this waits for the next day


def enqueue_for_event(event: JobEvent) -> int:
    now = timezone.now()
    rows = [
        Delivery(
            key=f"rule:{rule.pk}:event:{event.pk}",
            tenant_id=event.tenant_id,
            event=event,
            kind=event.kind,
            rule=rule,
            channel_id=rule.channel_id,
            source=Delivery.Source.RULE,
            next_try_at=now,
        )
        for rule in Rule.objects.filter(tenant_id=event.tenant_id, event=event.kind)
        if event.kind in JOB_EVENTS
    ]
    people: dict[int, Delivery.Source] = {}
    watched = _watched_jobs(event)
    if watched:
        watchers = Watch.objects.filter(tenant_id=event.tenant_id, job_id__in=watched)
        if event.kind in ENDS_A_STEP:  # whoever watches that step hears of its end already
            own = Watch.objects.filter(tenant_id=event.tenant_id, job_id=event.job.job_id)
            watchers = watchers.exclude(user__in=own.values("user"))
        people.update(
            (user_id, Delivery.Source.WATCH)
            for user_id in watchers.values_list("user", flat=True).distinct()
        )
    if event.kind in FAILURES:
        subscribed = Membership.objects.filter(
            tenant_id=event.tenant_id, user__notify_subscription__failures=True
        ).values_list("user", flat=True)
        for user_id in subscribed:
            people.setdefault(user_id, Delivery.Source.FAILURES)
    rows += [
        Delivery(
            key=f"mail:{user_id}:event:{event.pk}",
            tenant_id=event.tenant_id,
            event=event,
            kind=event.kind,
            user_id=user_id,
            source=source,
            next_try_at=now,
        )
        for user_id, source in people.items()
    ]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# A chain's events that come with its last step's end (succeeded, failed): told to the
# watchers of the chain's other steps, the step's own watchers having had its end.
ENDS_A_STEP = {JobEvent.Kind.DATABASE_ONLINE, JobEvent.Kind.CHAIN_BLOCKED}


def _watched_jobs(event: JobEvent) -> list[str]:
    """Whose watchers hear of `event`: the job's, for its end; every step's of the chain, for
    a chain's event (watching any step of a migration is watching the migration)."""
    if event.kind in ENDED:
        return [event.job.job_id]
    if event.kind not in CHAIN_EVENTS:
        return []
    steps = ChainStep.objects.filter(
        chain__tenant_id=event.tenant_id,
        chain__target_instance_id=str(event.detail.get("instance", "")),
        chain__database=str(event.detail.get("database", "")),
    )
    return sorted({event.job.job_id, *steps.values_list("job__job_id", flat=True)})


def flag_awaiting(now: datetime) -> int:
    """Chains past their tenant's threshold get their "awaiting cutover" event (its deliveries
    come with it, through `enqueue_for_event`), whether or not the tenant's sync saw anything."""
    return chains.mark_awaiting_everywhere(now)


def enqueue_sync_failing(now: datetime) -> int:
    """A tenant whose sync has failed for longer than a rule's minutes: one message per rule
    and failure period (keyed by when the failing started)."""
    rows = []
    rules = Rule.objects.filter(event=Event.SYNC_FAILING).select_related("tenant")
    failing = dict(
        TenantSyncState.objects.filter(failing_since__isnull=False).values_list(
            "tenant_id", "failing_since"
        )
    )
    for rule in rules:
        since = failing.get(rule.tenant_id)
        # Clamped: a value stored out of range (before forms checked it) must not raise here,
        # or one tenant's rule would stop every tenant's messages.
        wait = timedelta(minutes=clamp_after_minutes(rule.after_minutes))
        if since is None or now - since < wait:
            continue
        rows.append(
            Delivery(
                key=f"rule:{rule.pk}:sync:{since.isoformat()}",
                tenant_id=rule.tenant_id,
                kind=Event.SYNC_FAILING,
                rule=rule,
                channel_id=rule.channel_id,
                source=Delivery.Source.RULE,
                detail={"failing_since": since.isoformat()},
                next_try_at=now,
            )
        )
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def enqueue_digests(now: datetime) -> int:
    """Each subscriber's digest, once per local day, within an hour of their chosen time."""
    sent = 0
    for sub in Subscription.objects.filter(digest_at__isnull=False):
        local = timezone.localtime(now, _zone(sub.time_zone))
        due = datetime.combine(local.date(), sub.digest_at, local.tzinfo)
        if not (due <= local < due + DIGEST_WINDOW) or sub.last_digest_on == local.date():
            continue
        claimed = Subscription.objects.filter(
            Q(last_digest_on__isnull=True) | Q(last_digest_on__lt=local.date()), pk=sub.pk
        ).update(last_digest_on=local.date())
        if claimed:
            Delivery.objects.bulk_create(
                [
                    Delivery(
                        key=f"digest:{sub.user_id}:{local.date().isoformat()}",
                        kind=Delivery.Kind.DIGEST,
                        user_id=sub.user_id,
                        source=Delivery.Source.DIGEST,
                        next_try_at=now,
                        detail={
                            "date": local.date().isoformat(),
                            "since": (now - timedelta(days=1)).isoformat(),
                        },
                    )
                ],
                ignore_conflicts=True,
            )
            sent += 1
    return sent


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def enqueue_periodic(now: datetime | None = None) -> int:
    """Each part on its own: one that fails is logged, the other still runs, and the caller
    goes on to deliver what is due."""
    now = now or timezone.now()
    made = 0
    try:  # its deliveries are written with its events (enqueue_for_event), not counted here
        flag_awaiting(now)
    except Exception:
        log.exception("Notifications: flag_awaiting failed; deliveries go on")
    for part in (enqueue_sync_failing, enqueue_digests):
        try:
            made += part(now)
        except Exception:
            log.exception("Notifications: %s failed; deliveries go on", part.__name__)
    return made
