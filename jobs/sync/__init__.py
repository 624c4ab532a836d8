"""The background sync: a local mirror of every tenant's jobs (see `tenant.py`)."""

from .mirror import record_detail
from .schedule import due_tenants
from .tenant import SyncResult, sync_tenant

__all__ = ["SyncResult", "due_tenants", "record_detail", "sync_tenant"]
