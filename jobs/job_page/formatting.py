"""Values in words, shared by the templates (through `templatetags.dashboard`) and the CLI."""

from __future__ import annotations

from datetime import timedelta

from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy


def human_bytes(value: int | None) -> str:
    if value is None:
        return "—"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{value} B"


def file_size(value: int | None) -> str:
    """A size in the units DRS writes ("704 KB", "45.0 GB"), counted in 1024s as DRS's text is
    parsed: per-file sizes and their total read alike and match the numbers DRS shows."""
    if value is None:
        return "—"
    if value < 1024:
        return f"{value} B"
    size = value / 1024
    for unit in ("KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "KB" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{value} B"


def human_duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    seconds = max(int(value.total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    # One format everywhere, the live clock in static/js/app.js too: "1 h 5 min", "4 min 46 s".
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)d min %(s)d s") % {"m": minutes, "s": seconds}
    return _("%(s)d s") % {"s": seconds}


# A job's status in the reader's language; the API's own value stays visible next to it.
STATUS_LABELS = {
    "TRANSFERRING": pgettext_lazy("job status", "TRANSFERRING"),
    "SUCCESS": pgettext_lazy("job status", "SUCCESS"),
    "FAILED": pgettext_lazy("job status", "FAILED"),
    "PRECHECK FAILED": pgettext_lazy("job status", "PRECHECK FAILED"),
}


def status_label(status: str) -> str:
    """ "失败" for FAILED in Chinese; an unknown status as DRS sent it."""
    return str(STATUS_LABELS.get(str(status), status))


def _status_choice(status: str) -> str:
    label = status_label(status)
    return label if label == status else f"{label} ({status})"


status_choice = lazy(_status_choice, str)  # for a filter's <option>: "失败 (FAILED)"


def yes_no(value: bool | None) -> str:
    if value is None:
        return _("not given")
    return _("yes") if value else _("no")
