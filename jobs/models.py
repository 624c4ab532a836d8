"""Every model of the app, for Django's registry and migrations. Import a model from its own
package (`jobs.tenants.models`, `jobs.mirror.models`, …), not from here."""

from jobs.accounts.models import OidcIdentity, UserPreference
from jobs.api.models import ApiToken
from jobs.mirror.models import (
    JobEvent,
    JobSnapshot,
    JobStatusChange,
    MirroredJob,
    TenantSyncState,
)
from jobs.notify.models import Channel, Delivery, Rule, Subscription, Watch
from jobs.tenants.models import AuditEvent, Membership, Tenant

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Channel",
    "Delivery",
    "JobEvent",
    "JobSnapshot",
    "JobStatusChange",
    "Membership",
    "MirroredJob",
    "OidcIdentity",
    "Rule",
    "Subscription",
    "Tenant",
    "TenantSyncState",
    "UserPreference",
    "Watch",
]
