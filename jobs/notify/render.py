"""A notice as title and body in each format, every untrusted value escaped for that format."""

from __future__ import annotations

from django.utils.html import escape as html_escape

from jobs.notify import escape
from jobs.notify.messages import Notice

ESCAPES = {
    "text": escape.plain,
    "slack": escape.slack,
    "markdown": escape.markdown,
    "html": escape.html,
}


def title(notice: Notice, fmt: str = "text") -> str:
    return f"{_ours(notice.heading, fmt)}: {ESCAPES[fmt](notice.subject)}"


def body(notice: Notice, fmt: str) -> str:
    esc = ESCAPES[fmt]
    if fmt == "html":
        rows = "".join(
            f"<tr><th align='left'>{html_escape(label)}</th><td>{esc(value)}</td></tr>"
            for label, value in notice.facts
        )
        link = f'<p><a href="{html_escape(notice.link)}">{html_escape(notice.link)}</a></p>'
        heading = f"<h2>{html_escape(notice.heading)}: {esc(notice.subject)}</h2>"
        return f"{heading}<table>{rows}</table>{link}"
    bold = {"slack": "*{}*", "markdown": "**{}**"}.get(fmt, "{}")
    lines = [f"{bold.format(_ours(label, fmt))}: {esc(value)}" for label, value in notice.facts]
    lines.append(notice.link)  # ours: built from DASHBOARD_BASE_URL and ids
    return "\n".join(lines)


def line(notice: Notice) -> str:
    """The whole message on one line, for a log: "Job failed: nightly · Tenant: Acme · … · link"."""
    esc = ESCAPES["text"]
    parts = [title(notice)]
    parts += [f"{label}: {esc(value)}" for label, value in notice.facts if value]
    parts.append(notice.link)
    return " · ".join(part for part in parts if part)


def _ours(text: str, fmt: str) -> str:
    """Our own translated labels still pass through the format's escape for its syntax."""
    if fmt == "html":
        return html_escape(text)
    return text
