"""The daily digest: per tenant, what finished, failed, runs and stalls since yesterday, and the
failures with their cause. Email only (to the subscriber's own address)."""

from __future__ import annotations

from datetime import datetime

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from jobs.hints import hints_for
from jobs.mirror.models import MirroredJob
from jobs.notify.messages import absolute, clip, first_error_line, when
from jobs.tenants.access import visible_tenants

MAX_FAILURES = 20


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
        "failures": failures,
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
