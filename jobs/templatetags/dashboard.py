"""Display helpers: times with UTC on hover, status badges, failures in words; the value
formatters of `jobs.job_page.formatting`, as filters."""

from __future__ import annotations

from datetime import UTC, datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from jobs.drs import JobStatus
from jobs.job_page.formatting import file_size, human_bytes, human_duration, status_label, yes_no
from jobs.upstream import messages

register = template.Library()


@register.simple_tag
def when(value: datetime | None, empty: str = "—"):
    """Local time in the user's zone, the exact UTC time on hover and in `datetime`."""
    if value is None:
        return empty
    utc = value.astimezone(UTC)
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}" title="UTC {}">{} {}</time>',
        utc.isoformat().replace("+00:00", "Z"),
        utc.strftime("%Y-%m-%d %H:%M:%S"),
        local.strftime("%Y-%m-%d %H:%M:%S"),  # all digits: no locale to apply
        utc_offset(local),
    )


def utc_offset(local: datetime) -> str:
    """ "UTC+8", "UTC-3:30", "UTC": unambiguous, unlike "CST" (China, or US Central?)."""
    minutes = int(local.utcoffset().total_seconds() // 60) if local.utcoffset() else 0
    if not minutes:
        return "UTC"
    sign, minutes = ("+" if minutes > 0 else "-"), abs(minutes)
    hours, rest = divmod(minutes, 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


register.filter("human_bytes", human_bytes)
register.filter("file_size", file_size)
register.filter("human_duration", human_duration)
register.filter("yes_no", yes_no)


@register.simple_tag
def explain(error, tenant=None) -> str:
    """The failure as one sentence in the reader's language (`jobs.upstream.messages`)."""
    return messages.explain(error, tenant)


@register.simple_tag
def status_badge(status: str):
    """Colour, icon and text: readable without colour."""
    status = JobStatus(status)
    kind, icon = _badge(status)
    return format_html(
        '<span class="badge badge-{}" data-status="{}" title="{}">'
        '<span aria-hidden="true">{}</span> {}</span>',
        kind,
        status,
        _("DRS status: %(status)s") % {"status": status} if status else _("DRS gave no status"),
        icon,
        status_label(status) or _("(no status)"),
    )


def _badge(status: JobStatus) -> tuple[str, str]:
    if status == JobStatus.PRECHECK_FAILED:
        return "failed", "⚠"
    if status.is_failed:
        return "failed", "✖"
    if status == JobStatus.SUCCESS:
        return "success", "✔"
    if status.is_running:
        return "running", "⟳"
    return "unknown", "?"


@register.simple_tag(takes_context=True)
def page_url(context, query: str, number: int | None = None) -> str:
    """This page's path with `?query&page=N`, never an empty `?&`; page 1 is the address
    without `page`."""
    parts = [query] if query else []
    if number and int(number) > 1:
        parts.append(f"page={int(number)}")
    path = context["request"].path
    return f"{path}?{'&'.join(parts)}" if parts else path


@register.simple_tag
def page_numbers(page, around: int = 2) -> list[int | None]:
    """1 … 4 5 [6] 7 8 … 20: the pager's numbers, None for a gap."""
    last = page.paginator.num_pages
    keep = {1, last, *range(page.number - around, page.number + around + 1)}
    numbers: list[int | None] = []
    for n in sorted(k for k in keep if 1 <= k <= last):
        if numbers and n - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(n)
    return numbers
