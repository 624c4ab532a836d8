"""Access policies, and which tenants a person may see or administers.

Every view declares a policy (`public`, `signed_in`, `superuser`, `tenant_role`);
`views_without_policy` lists the URLs whose view does not, and the system check `jobs.E001`
(`jobs/apps.py`) fails on them.
Outsiders get 404 for a tenant (they cannot tell it exists); members below the required role 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver

from jobs.tenants.models import Membership, Role, Tenant

POLICY_ATTR = "access_policy"


def _mark(view: Callable, policy: str) -> Callable:
    setattr(view, POLICY_ATTR, policy)
    return view


def public(view: Callable) -> Callable:
    """No sign-in needed: login, health checks."""
    return _mark(view, "public")


def signed_in(view: Callable) -> Callable:
    """Any signed-in user; the view itself shows only what the user may see."""
    return _mark(login_required(view), "signed-in")


def superuser(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_superuser:
            raise Http404
        return view(request, *args, **kwargs)

    return _mark(login_required(wrapped), "superuser")


def tenant_role(minimum: Role) -> Callable[[Callable], Callable]:
    """The URL's `slug` becomes `tenant`; the user's role is on `request.role`."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
            tenant, role = tenant_for(request.user, slug)
            if Role(role).rank < minimum.rank:
                raise PermissionDenied
            request.role = role  # type: ignore[attr-defined]
            return view(request, tenant, *args, **kwargs)

        return _mark(login_required(wrapped), f"tenant:{minimum.value}")

    return decorator


def tenant_for(user, slug: str) -> tuple[Tenant, Role]:
    """The tenant and the user's role in it, in one query; 404 for outsiders."""
    if user.is_superuser:
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise Http404
        return tenant, Role.ADMIN
    membership = (
        Membership.objects.select_related("tenant").filter(user=user, tenant__slug=slug).first()
    )
    if membership is None:
        raise Http404
    return membership.tenant, Role(membership.role)


def visible_tenants(user) -> QuerySet[Tenant]:
    """The tenants this person may see: every one for a superuser, else those they belong to."""
    if user.is_superuser:
        return Tenant.objects.all()
    return Tenant.objects.filter(memberships__user=user)


PICKER_MAX = 20  # tenants a picker offers at once: it searches, it never lists them all


def find_tenants(user, text: str, limit: int = PICKER_MAX) -> list[Tenant]:
    """Up to `limit` of this person's tenants whose name or slug contains `text` (any case),
    an exact slug first, then by name; the first ones by name for no text."""
    text = text.replace("\x00", "").strip()[:100]  # no NUL reaches PostgreSQL
    rows = visible_tenants(user)
    if text:
        rows = rows.filter(Q(name__icontains=text) | Q(slug__icontains=text))
    found = list(rows.order_by("name", "pk")[:limit])
    found.sort(key=lambda t: t.slug != text.lower())  # stable: the rest keep their order
    return found


def pick_tenant(user, text: str) -> Tenant | None:
    """The tenant a picker's text names: the one with that slug, else the only one whose name
    or slug contains it; None when none or several do."""
    text = text.replace("\x00", "").strip()[:100]
    exact = visible_tenants(user).filter(slug=text.lower()).first() if text else None
    if exact is not None:
        return exact
    found = find_tenants(user, text, limit=2) if text else []
    return found[0] if len(found) == 1 else None


def administered_tenants(user) -> QuerySet[Tenant]:
    """The tenants this person administers: every one for a superuser, else those where they
    are an admin."""
    if user.is_superuser:
        return Tenant.objects.all()
    return Tenant.objects.filter(memberships__user=user, memberships__role=Role.ADMIN)


def _walk(patterns, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def all_routes() -> list[tuple[str, URLPattern]]:
    return list(_walk(get_resolver().url_patterns))


def views_without_policy() -> list[str]:
    missing = []
    for route, pattern in all_routes():
        callback = pattern.callback
        view = getattr(callback, "view_class", None) or callback
        if not (hasattr(callback, POLICY_ATTR) or hasattr(view, POLICY_ATTR)):
            missing.append(f"{route} → {pattern.lookup_str}")
    return missing
