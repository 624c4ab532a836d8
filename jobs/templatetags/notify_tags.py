"""Template helpers for notifications: `defang` for upstream text in emails,
`watch_state` (the job page's watch button)."""

from __future__ import annotations

from django import template

from jobs.notify import escape, models

register = template.Library()


@register.filter
def defang(value) -> str:
    """Upstream text, made inert (no links, mentions, control characters); autoescape still
    applies in HTML templates."""
    return escape.plain(str(value or ""))


@register.simple_tag(takes_context=True)
def watch_state(context, tenant, job_id) -> dict:
    """{"watching": …, "open_migration": …} for the signed-in person, in one query."""
    watching, migration = models.watch_state(context["request"].user, tenant, job_id)
    return {"watching": watching, "open_migration": migration}
