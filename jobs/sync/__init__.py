"""The background sync: a local mirror of every tenant's jobs (see `tenant.py`)."""

from jobs.sync.mirror import record_detail
from jobs.sync.schedule import due_tenants
from jobs.sync.tenant import SyncResult, sync_tenant

__all__ = ["SyncResult", "due_tenants", "record_detail", "sync_tenant"]
