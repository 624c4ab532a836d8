"""The audit log: one call per event; sign-ins are recorded from Django's auth signals."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from jobs.tenants.models import AuditEvent, Tenant

Action = AuditEvent.Action


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address, for the audit log and the per-address sign-in limit.

    REMOTE_ADDR, unless DASHBOARD_TRUSTED_PROXIES (N) says N proxies of ours stand in front:
    then the Nth address from the right of X-Forwarded-For, the one our outermost proxy saw.
    Entries further left are whatever the client claimed and are never used; with fewer
    entries than N the request did not come through our proxies, so REMOTE_ADDR it is.
    """
    if request is None:
        return None
    remote = _ip(request.META.get("REMOTE_ADDR", ""))
    trusted = getattr(settings, "DASHBOARD_TRUSTED_PROXIES", 0)
    if trusted <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    forwarded = [part.strip() for part in header.split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < trusted:
        return remote
    return _ip(forwarded[-trusted]) or remote


def _storable(value: Any) -> Any:
    """Without NUL characters, which PostgreSQL refuses in text (a typed username can hold
    them): shown as U+FFFD."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value


def _ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip().strip("[]")))
    except ValueError:
        return None


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
    actor_name = detail.pop("actor_name", "") or (actor.get_username() if actor else "")
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_name=_storable(actor_name)[:150],
        tenant=tenant,
        tenant_name=tenant.name if tenant else "",
        ip=client_ip(request),
        detail=_storable(detail),
    )


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs) -> None:
    oidc = getattr(user, "backend", "").endswith(".OIDCBackend")
    record(Action.LOGIN, request=request, actor=user, **({"method": "oidc"} if oidc else {}))


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        record(Action.LOGOUT, request=request, actor=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    if "nonce" in credentials:
        return  # a single sign-on: jobs.accounts.oidc records it, with the reason
    # `credentials` has the password masked by Django; only the username is kept.
    record(Action.LOGIN_FAILED, request=request, actor_name=str(credentials.get("username", "")))
