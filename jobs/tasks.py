"""Celery tasks: thin wrappers around the sync's unit of work (`jobs.sync`)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from jobs.sync.schedule import due_tenants
from jobs.sync.tenant import sync_tenant
from jobs.tenants.models import Tenant


def _queued_key(tenant_id: int) -> str:
    return f"sync:queued:{tenant_id}"


@shared_task(ignore_result=True)
def dispatch_due_syncs() -> int:
    """Beat runs this every few seconds: one task per due tenant not already queued."""
    sent = 0
    for pk in due_tenants(timezone.now()).values_list("pk", flat=True):
        if cache.add(_queued_key(pk), 1, timeout=settings.SYNC_IDLE_SECONDS):
            sync_tenant_task.delay(pk)
            sent += 1
    return sent


@shared_task(ignore_result=True)
def sync_tenant_task(tenant_id: int) -> None:
    cache.delete(_queued_key(tenant_id))
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is not None:
        sync_tenant(tenant)  # a tenant already syncing elsewhere is skipped (its lock)
