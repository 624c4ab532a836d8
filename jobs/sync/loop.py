"""The embedded scheduler (`manage.py sync --loop`): the same unit of work as the Celery tasks,
in one process with no broker. Tenants run in a small thread pool, so a slow or failing tenant
never holds up the others."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from jobs.notify.worker import Notifier
from jobs.sync.schedule import due_tenants
from jobs.sync.tenant import SyncResult, sync_tenant
from jobs.tenants.models import Tenant

log = logging.getLogger(__name__)
TICK_SECONDS = 1.0


def sync_by_id(tenant_id: int) -> SyncResult | None:
    """One tenant's sync in a worker thread, which owns (and closes) its DB connection."""
    close_old_connections()
    try:
        tenant = Tenant.objects.filter(pk=tenant_id).first()
        return sync_tenant(tenant) if tenant else None
    except Exception:
        log.exception("Sync of tenant %s failed", tenant_id)
        return None
    finally:
        connection.close()


class Loop:
    def __init__(self, concurrency: int | None = None) -> None:
        self.pool = ThreadPoolExecutor(
            max_workers=concurrency or settings.SYNC_CONCURRENCY, thread_name_prefix="sync"
        )
        self.in_flight: dict[int, Future] = {}
        self.notifier = Notifier()  # delivers notifications in this process too

    def dispatch(self) -> list[int]:
        """Start a sync for each due tenant that is not already syncing."""
        self.in_flight = {pk: f for pk, f in self.in_flight.items() if not f.done()}
        started = []
        for pk in due_tenants(timezone.now()).values_list("pk", flat=True):
            if pk not in self.in_flight:
                self.in_flight[pk] = self.pool.submit(sync_by_id, pk)
                started.append(pk)
        return started

    def run_forever(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    self.dispatch()
                except Exception:
                    log.exception("Could not dispatch syncs")
                try:
                    self.notifier.tick()
                except Exception:
                    log.exception("Could not dispatch notifications")
                close_old_connections()
                stop.wait(TICK_SECONDS)
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.notifier.shutdown()
