"""What a message says, built in the recipient's language and time zone. Values that came from
upstream (or from people) stay raw here: `render` escapes them for each format."""

from __future__ import annotations

import contextlib
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jobs.hints import hints_for, without_header
from jobs.mirror.models import JobEvent, TenantSyncState
from jobs.notify.models import CHAIN_EVENTS, Delivery, Event
from jobs.tenants.models import Tenant

# A blocked chain's message carries its failed step's error and hint, as a failure's does.
WITH_ERROR = (JobEvent.Kind.FAILED, JobEvent.Kind.PRECHECK_FAILED, JobEvent.Kind.CHAIN_BLOCKED)

# Marked with gettext_noop so makemessages finds them; translated where a heading is chosen.
HEADINGS = {
    Event.FAILED: gettext_noop("Job failed"),
    Event.PRECHECK_FAILED: gettext_noop("Job pre-check failed"),
    Event.SUCCEEDED: gettext_noop("Job succeeded"),
    Event.STALLED: gettext_noop("Job running longer than usual"),
    Event.AWAITING_CUTOVER: gettext_noop("Database awaiting its next backup too long"),
    Event.DATABASE_ONLINE: gettext_noop("Database online"),
    Event.CHAIN_BLOCKED: gettext_noop("Step failed: chain blocked"),
    Event.SYNC_FAILING: gettext_noop("Sync failing"),
    Delivery.Kind.TEST: gettext_noop("Test message"),
}


@dataclass(frozen=True)
class Notice:
    event: str
    heading: str  # ours, translated
    subject: str  # untrusted: the job's name, or the tenant's
    facts: list[tuple[str, str]] = field(default_factory=list)  # (our label, untrusted value)
    link: str = ""
    data: dict = field(default_factory=dict)  # the JSON webhook's fields


def absolute(path: str) -> str:
    return settings.DASHBOARD_BASE_URL.rstrip("/") + path


UPSTREAM_TEXT_MAX = 500  # characters of any one upstream value in a message (name, error, …)


def clip(text: str | None, limit: int = UPSTREAM_TEXT_MAX) -> str:
    """Upstream text as a message carries it: at most `limit` characters, "…" when cut."""
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def first_error_line(error_log: str) -> str:
    """The error message itself: the first line that is not a "Msg N, Level L, State S" header
    (nor the SQL Server error log's "Error: N, Severity: L" one), clipped: DRS error logs can
    hold megabytes on one line. Only the first 64 KiB are looked at."""
    head = (error_log or "")[: 64 * 1024]
    return clip(next((text for line in head.splitlines() if (text := without_header(line))), ""))


def when(value: datetime | None, zone: str = "UTC") -> str:
    if value is None:
        return ""
    try:
        tz = zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    return timezone.localtime(value, tz).strftime("%Y-%m-%d %H:%M %Z")


def for_event(event: JobEvent, language: str, zone: str = "UTC") -> Notice:
    job = event.job
    tenant = event.tenant
    with translation.override(language):
        link = absolute(reverse("job_detail", args=[tenant.slug, job.job_id]))
        facts = [
            (_("Tenant"), tenant.name),
            (_("Status"), clip(job.status, 64)),
            (_("When"), when(event.occurred_at, zone)),
        ]
        error = hint = ""
        if event.kind in WITH_ERROR:
            error = first_error_line(job.error_log)
            hints = hints_for(job.error_log[: 64 * 1024]) if job.error_log else []
            hint = str(hints[0].title) if hints else ""
            facts += [(_("Error"), error)] if error else []
            facts += [(_("Likely cause"), hint)] if hint else []
        database = event.detail.get("database") if event.kind in CHAIN_EVENTS else None
        if database:
            instance = str(event.detail.get("instance", ""))
            facts += [(_("Database"), clip(str(database), 128)), (_("Instance"), clip(instance))]
            with contextlib.suppress(NoReverseMatch):
                link = absolute(
                    reverse("migration_detail", args=[tenant.slug, instance, str(database)])
                )
        return Notice(
            event=event.kind,
            heading=_(HEADINGS.get(event.kind, event.get_kind_display())),
            subject=clip(job.name or job.job_id),
            facts=facts,
            link=link,
            data={
                "event": event.kind,
                "tenant": {"slug": tenant.slug, "name": tenant.name},
                "job": {"id": job.job_id, "name": clip(job.name), "status": clip(job.status, 64)},
                "occurred_at": event.occurred_at.isoformat(),
                "error": error,
                "hint": hint,
                "url": link,
                **(
                    {"database": clip(str(database), 128), "instance": event.detail["instance"]}
                    if database
                    else {}
                ),
            },
        )


def for_sync_failing(tenant: Tenant, language: str, failing_since: str) -> Notice:
    state = TenantSyncState.objects.filter(tenant=tenant).first()
    error = clip(state.error) if state else ""
    since = datetime.fromisoformat(failing_since)
    with translation.override(language):
        link = absolute(reverse("tenant_detail", args=[tenant.slug]))
        return Notice(
            event=Event.SYNC_FAILING,
            heading=_(HEADINGS[Event.SYNC_FAILING]),
            subject=tenant.name,
            facts=[(_("Failing since"), when(since)), (_("Error"), error)],
            link=link,
            data={
                "event": Event.SYNC_FAILING,
                "tenant": {"slug": tenant.slug, "name": tenant.name},
                "failing_since": failing_since,
                "error": error,
                "url": link,
            },
        )


def for_test(tenant: Tenant, language: str) -> Notice:
    with translation.override(language):
        link = absolute(reverse("notify_settings", args=[tenant.slug]))
        return Notice(
            event=Delivery.Kind.TEST,
            heading=_(HEADINGS[Delivery.Kind.TEST]),
            subject=tenant.name,
            facts=[(_("When"), when(timezone.now()))],
            link=link,
            data={
                "event": Delivery.Kind.TEST,
                "tenant": {"slug": tenant.slug, "name": tenant.name},
            },
        )
