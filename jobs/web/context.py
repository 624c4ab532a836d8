"""Template context shared by every page."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from jobs.tenants.access import administered_tenants, visible_tenants


def navigation(request) -> dict:
    """The top bar: the job lookup, and which links this person may open (no link leads to a
    404). The audit log is for superusers and admins of a tenant; sync status for superusers."""
    if not request.user.is_authenticated:
        return {}
    user = request.user

    def audit_allowed() -> bool:
        return user.is_superuser or administered_tenants(user).exists()

    return {
        "lookup_tenants": visible_tenants(user),
        "nav": {
            "audit": SimpleLazyObject(audit_allowed),
            "sync": user.is_superuser,
        },
    }
