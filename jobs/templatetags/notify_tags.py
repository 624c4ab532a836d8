"""Template helpers for notifications: `defang` for upstream text in emails, `watching`,
`open_migration`."""

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
def watching(context, tenant, job_id) -> bool:
    user = context["request"].user
    return models.Watch.objects.filter(user=user, tenant=tenant, job_id=job_id).exists()


@register.simple_tag
def open_migration(tenant, job_id) -> bool:
    return models.open_migration(tenant, job_id)
