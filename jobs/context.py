"""Template context shared by every page."""

from __future__ import annotations

from .access import visible_tenants


def navigation(request) -> dict:
    """Context for the top bar's job lookup."""
    if not request.user.is_authenticated:
        return {}
    return {"lookup_tenants": visible_tenants(request.user)}
