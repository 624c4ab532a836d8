"""The daily digest: per tenant, what finished, failed, runs and stalls since yesterday, the
failures with their cause, the databases now, and the migrations' events since yesterday
(online, chain blocked, awaiting too long). Email only (to the subscriber's own address)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jobs.hints import hints_for
from jobs.mirror.models import Chain, JobEvent, MirroredJob
from jobs.notify.messages import HEADINGS, absolute, clip, first_error_line, when
from jobs.notify.models import CHAIN_EVENTS
from jobs.tenants.access import visible_tenants

MAX_FAILURES = 20
MAX_MIGRATION_EVENTS = 20


def tenant_summary(tenant, since: datetime, zone: str) -> dict:
    """The tenant's jobs (alive, as `MirroredJobQuerySet` defines it) that finished since
    `since`, by outcome, the ones running and stalled now, and the newest failures."""
    jobs = MirroredJob.objects.filter(tenant=tenant).alive()
    finished = jobs.filter(finish_time__gte=since)
    running = jobs.running()
    failures = []
    for job in finished.failed().order_by("-finish_time")[:MAX_FAILURES]:
        hints = hints_for(job.error_log[: 64 * 1024]) if job.error_log else []
        failures.append(
            {
                "name": clip(job.name or job.job_id),
                "when": when(job.finish_time, zone),
                "error": first_error_line(job.error_log),
                "hint": str(hints[0].title) if hints else "",
                "link": absolute(reverse("job_detail", args=[tenant.slug, job.job_id])),
            }
        )
    return {
        "name": tenant.name,
        "succeeded": finished.succeeded().count(),
        "failed": finished.failed().count(),
        "running": running.count(),
        "stalled": jobs.stalled().count(),
        "databases": _databases(tenant),
        "failures": failures,
        "migrations": _migration_events(tenant, since, zone),
        "link": absolute(reverse("job_list", args=[tenant.slug])),
    }


def render_digest(user, since: datetime, language: str, zone: str) -> tuple[str, str, str]:
    """(subject, text, html)."""
    with translation.override(language):
        tenants = [tenant_summary(t, since, zone) for t in visible_tenants(user)]
        context = {"tenants": tenants, "since": when(since, zone)}
        subject = _("Daily digest of your DRS backup migrations")
        return (
            subject,
            render_to_string("notify/email/digest.txt", context),
            render_to_string("notify/email/digest.html", context),
        )


def _databases(tenant) -> dict[str, int]:
    """The tenant's migrations now: online, awaiting (within and past its threshold), blocked."""
    chains = Chain.objects.filter(tenant=tenant)
    cut = timezone.now() - timedelta(hours=tenant.awaiting_threshold_hours or 24)
    awaiting = chains.filter(state=Chain.State.AWAITING)
    return {
        "online": chains.filter(state=Chain.State.ONLINE).count(),
        "awaiting": awaiting.filter(since__gte=cut).count(),
        "stalled": awaiting.filter(since__lt=cut).count(),
        "failed": chains.filter(state=Chain.State.FAILED).count(),
    }


def _migration_events(tenant, since: datetime, zone: str) -> list[dict]:
    """The chains' events since `since`, newest first: what a rule or a watch would have said."""
    events = JobEvent.objects.filter(
        tenant=tenant, kind__in=CHAIN_EVENTS, occurred_at__gte=since
    ).order_by("-occurred_at", "-id")[:MAX_MIGRATION_EVENTS]
    said = []
    for event in events:
        database = str(event.detail.get("database", ""))
        instance = str(event.detail.get("instance", ""))
        try:
            link = reverse("migration_detail", args=[tenant.slug, instance, database])
        except NoReverseMatch:  # a name no URL can hold: the tenant's migrations instead
            link = reverse("tenant_migrations", args=[tenant.slug])
        said.append(
            {
                "what": _(HEADINGS[event.kind]),
                "database": clip(database, 128),
                "instance": clip(instance),
                "when": when(event.occurred_at, zone),
                "link": absolute(link),
            }
        )
    return said
