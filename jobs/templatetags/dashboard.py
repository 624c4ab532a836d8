"""Display helpers: times with UTC on hover, sizes, durations, booleans in words, status badges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..drs.models import FAILED, PRECHECK_FAILED, SUCCESS, TRANSFERRING

register = template.Library()

BADGES = {
    SUCCESS: ("success", "✔"),
    FAILED: ("failed", "✖"),
    PRECHECK_FAILED: ("failed", "⚠"),
    TRANSFERRING: ("running", "⟳"),
}


@register.simple_tag
def when(value: datetime | None, empty: str = "—"):
    """Local time in the user's zone, the exact UTC time on hover and in `datetime`."""
    if value is None:
        return empty
    utc = value.astimezone(UTC)
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}" title="UTC {}">{}</time>',
        utc.isoformat().replace("+00:00", "Z"),
        utc.strftime("%Y-%m-%d %H:%M:%S"),
        date_format(local, "Y-m-d H:i:s T"),
    )


@register.filter
def human_bytes(value: int | None) -> str:
    if value is None:
        return "—"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{value} B"


@register.filter
def human_duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)d min %(s)02d s") % {"m": minutes, "s": seconds}
    return ngettext("%(s)d second", "%(s)d seconds", seconds) % {"s": seconds}


@register.filter
def yes_no(value: bool | None) -> str:
    if value is None:
        return _("not given")
    return _("yes") if value else _("no")


@register.simple_tag
def status_badge(status: str):
    """Colour, icon and text: readable without colour."""
    kind, icon = BADGES.get(status, ("unknown", "?"))
    return format_html(
        '<span class="badge badge-{}" data-status="{}">'
        '<span aria-hidden="true">{}</span> {}</span>',
        kind,
        status,
        icon,
        status or _("(no status)"),
    )
