"""Template context shared by every page."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from jobs.tenants.access import PICKER_MAX, administered_tenants, find_tenants


def navigation(request) -> dict:
    """The top bar: the job lookup, and which links this person may open (no link leads to a
    404). The audit log is for superusers and admins of a tenant; sync status for superusers."""
    if not request.user.is_authenticated:
        return {}
    user = request.user

    def audit_allowed() -> bool:
        return user.is_superuser or administered_tenants(user).exists()

    def picker() -> dict:
        first = find_tenants(user, "", PICKER_MAX)
        return {"first": first, "many": len(first) > 1}

    return {
        # The job lookup's tenant picker: the first PICKER_MAX by name, one bounded query when a
        # page shows it; typing searches the rest (jobs/lookup/tenants/).
        "lookup_picker": SimpleLazyObject(picker),
        "nav": {
            "audit": SimpleLazyObject(audit_allowed),
            "sync": user.is_superuser,
        },
    }
