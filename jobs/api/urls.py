"""/api/v1/: ninja's URL patterns, each marked with its access policy (jobs/access.py checks that
every URL has one). The schema and its docs page are public: they hold no data."""

from __future__ import annotations

from jobs.api.v1 import POLICIES, api
from jobs.tenants.access import POLICY_ATTR

PUBLIC = ("openapi-json", "openapi-view", "api-root")


def _marked():
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        marker = "public" if pattern.name in PUBLIC else POLICIES.get(pattern.name)
        if marker:
            setattr(pattern.callback, POLICY_ATTR, marker)
    return patterns, app_name, namespace


urls = _marked()
