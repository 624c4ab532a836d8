"""What a fleet page's refresh needs before it renders anything: a version of what the viewer's
tenants show (the healthchecks `?u=` idea: the page sends the version it shows, an unchanged one
is answered 204 without a render), and a key naming one view of the fleet, under which a render
is shared by everyone who sees the same thing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.db.models import Count, Max, QuerySet, Sum
from django.utils import timezone

from jobs.tenants.models import Tenant

# Even with no stamp moving, a version lasts at most this long: "finished in the last hour",
# "running longer than usual" and the 7-day windows follow the clock.
VERSION_SECONDS = 60


def version(tenants: QuerySet[Tenant], *parts: object) -> str:
    """One aggregate over the tenants and their sync states: how many, which (the sum of
    their ids), the newest change stamp; with `parts` (the view: language, zone, sort...) and
    the current VERSION_SECONDS slot. Short, opaque, safe in a URL."""
    found = tenants.order_by().aggregate(
        n=Count("pk"), ids=Sum("pk"), changed=Max("sync_state__changed_at")
    )
    slot = int(timezone.now().timestamp() // VERSION_SECONDS)
    changed = found["changed"].isoformat() if found["changed"] else "-"
    text = "|".join(str(p) for p in (found["n"], found["ids"], changed, slot, *parts))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def view_key(kind: str, tenant_ids: Iterable[int], slot: int, *parts: object) -> str:
    """The cache key of one view: exactly this set of tenants (never a look-alike set: the
    render shows their data) and the view's parts, in this time slot."""
    ids = ",".join(str(pk) for pk in sorted(tenant_ids))
    text = "|".join(str(p) for p in (ids, slot, *parts))
    return f"{kind}:{hashlib.blake2b(text.encode(), digest_size=16).hexdigest()}"
