"""How the background sync of each tenant is going."""

from __future__ import annotations

from django.db import models

from jobs.tenants.models import Tenant


class TenantSyncState(models.Model):
    """How the background sync of one tenant is going."""

    tenant = models.OneToOneField(
        Tenant, on_delete=models.CASCADE, primary_key=True, related_name="sync_state"
    )
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_full_walk_at = models.DateTimeField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(default=0)
    last_calls = models.PositiveIntegerField(default=0)
    last_note = models.CharField(max_length=200, blank=True)  # e.g. "call budget spent"
    running_jobs = models.PositiveIntegerField(default=0)
    jobs_total = models.PositiveIntegerField(default=0)  # mirror rows not deleted, after a run
    next_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    error = models.TextField(blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_request_id = models.CharField(max_length=64, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    calls_ok_total = models.PositiveBigIntegerField(default=0)
    calls_failed_total = models.PositiveBigIntegerField(default=0)
    calls_throttled_total = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"sync of {self.tenant_id}"

    @property
    def is_failing(self) -> bool:
        return self.failing_since is not None
