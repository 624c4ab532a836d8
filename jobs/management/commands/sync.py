"""`manage.py sync SLUG` syncs one tenant once; `--all` every tenant once; `--loop` keeps every
tenant fresh in this process (the embedded default: no broker needed)."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from jobs.sync.loop import Loop
from jobs.sync.tenant import sync_tenant
from jobs.tenants.models import Tenant


class Command(BaseCommand):
    help = "Sync tenants' jobs from DRS into the local mirror."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", nargs="?", help="the tenant to sync once")
        parser.add_argument("--all", action="store_true", help="sync every tenant once")
        parser.add_argument("--loop", action="store_true", help="keep syncing every tenant")
        parser.add_argument("--full", action="store_true", help="walk the whole list")

    def handle(self, *args, slug=None, all=False, loop=False, full=False, **options) -> None:
        if loop:
            self._loop()
            return
        if slug:
            tenants = list(Tenant.objects.filter(slug=slug))
            if not tenants:
                raise CommandError(f"No tenant {slug!r}")
        elif all:
            tenants = list(Tenant.objects.all())
        else:
            raise CommandError("Give a tenant slug, --all or --loop")
        failed = False
        for tenant in tenants:
            result = sync_tenant(tenant, full=True if full else None)
            outcome = (
                "ok"
                if result.ok
                else "incomplete"
                if result.incomplete
                else "skipped"
                if result.skipped
                else "FAILED"
            )
            self.stdout.write(
                f"{tenant.slug}: {outcome}"
                f" · {result.seen} seen, {result.details} details, {result.deleted} deleted,"
                f" {result.calls} calls{' (full walk)' if result.full else ''}"
                f"{' · ' + result.note if result.note else ''}"
                f"{' · ' + result.error if result.error else ''}"
            )
            failed = failed or bool(result.error)
        if failed:
            raise CommandError("Some syncs failed", returncode=2)

    def _loop(self) -> None:
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write("Syncing every tenant; Ctrl-C to stop.")
        Loop().run_forever(stop)
