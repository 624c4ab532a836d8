"""Making, finding and revoking personal API tokens. Every change is audited.

A token reads `drs_` + 43 URL-safe characters (256 random bits). Only its SHA-256 is stored; the
first 8 characters are kept to tell tokens apart in lists.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from jobs.api.models import ApiToken
from jobs.tenants import audit
from jobs.tenants.models import Membership, Role

PREFIX = "drs_"
SHOWN_PREFIX = 8  # "drs_" and 4 characters of the secret
LAST_USE_RESOLUTION = timedelta(seconds=60)  # `last_used_at` is written at most once a minute
DEFAULT_DAYS = 90


class TokenProblem(ValueError):
    """A token cannot be made as asked (the message says why, for a form or the CLI)."""


@sensitive_variables()
def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def max_days() -> int:
    return max(int(settings.API_TOKEN_MAX_DAYS), 1)


@sensitive_variables()
def create(
    user,
    name: str,
    *,
    read_only: bool = True,
    days: int = DEFAULT_DAYS,
    actor=None,
    request=None,
    via: str = "web",
) -> tuple[ApiToken, str]:
    """The new token and its secret (shown once: it cannot be read back)."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise TokenProblem("A token needs a name of 1 to 100 characters.")
    if not 1 <= days <= max_days():
        raise TokenProblem(f"A token lasts from 1 to {max_days()} days.")
    secret = PREFIX + secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            token = ApiToken.objects.create(
                user=user,
                name=name,
                prefix=secret[:SHOWN_PREFIX],
                digest=digest(secret),
                read_only=read_only,
                expires_at=timezone.now() + timedelta(days=days),
                created_by=actor.get_username() if actor else via,
            )
    except IntegrityError:
        raise TokenProblem(f"{user.get_username()} already has a token named “{name}”.") from None
    audit.record(
        audit.Action.TOKEN_CREATED,
        request=request,
        actor=actor if request is None else None,
        actor_name="" if actor else via,
        owner=user.get_username(),
        token=name,
        prefix=token.prefix,
        read_only=read_only,
        days=days,
        via=via,
    )
    return token, secret


@sensitive_variables()
def authenticate(secret: str) -> ApiToken | None:
    """The live token with this secret (its owner active), or None. Notes the use."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest(secret), revoked_at=None, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USE_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def revoke(token: ApiToken, *, actor=None, request=None, via: str = "web") -> bool:
    """False when it was revoked already."""
    person = actor or (request.user if request is not None else None)
    who = person.get_username() if person else via
    done = ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(
        revoked_at=timezone.now(), revoked_by=who
    )
    if done:
        audit.record(
            audit.Action.TOKEN_REVOKED,
            request=request,
            actor=actor if request is None else None,
            actor_name="" if actor else via,
            owner=token.user.get_username(),
            token=token.name,
            prefix=token.prefix,
            via=via,
        )
    return bool(done)


def own(user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def administered(user, tenant) -> QuerySet[ApiToken]:
    """The tokens of `tenant`'s members, for its admins (and superusers)."""
    members = Membership.objects.filter(tenant=tenant).values("user_id")
    return ApiToken.objects.filter(user_id__in=members).select_related("user")


def may_administer(user, tenant) -> bool:
    if user.is_superuser:
        return True
    return Membership.objects.filter(user=user, tenant=tenant, role=Role.ADMIN).exists()
