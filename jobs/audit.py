"""The audit log: one call per event; sign-ins are recorded from Django's auth signals."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from .models import AuditEvent, Tenant

Action = AuditEvent.Action


def client_ip(request: HttpRequest | None) -> str | None:
    """REMOTE_ADDR; behind a proxy, configure it to set REMOTE_ADDR (we do not trust headers)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    *,
    request: HttpRequest | None = None,
    actor=None,
    tenant: Tenant | None = None,
    **detail: Any,
) -> AuditEvent:
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_name=detail.pop("actor_name", "") or (actor.get_username() if actor else ""),
        tenant=tenant,
        tenant_name=tenant.name if tenant else "",
        ip=client_ip(request),
        detail=detail,
    )


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs) -> None:
    record(Action.LOGIN, request=request, actor=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        record(Action.LOGOUT, request=request, actor=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    # `credentials` has the password masked by Django; only the username is kept.
    record(Action.LOGIN_FAILED, request=request, actor_name=str(credentials.get("username", "")))
