"""`manage.py rollups rebuild [SLUG]`: the fleet pages' rollups (`JobDay`, `ChainDay`)
recomputed from the mirror rows and chains, for one tenant or all. Idempotent: a second run
finds nothing to change. Prints one line per tenant: what it read, what it wrote, and whether
the stored rollups differed.

Exit status: 0 when it worked; 1 for an unknown tenant.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, no_translations

from jobs.management.output import clean
from jobs.mirror import rollups
from jobs.tenants.models import Tenant


class Command(BaseCommand):
    help = "Recompute the fleet pages' rollups from the mirror: one tenant (SLUG) or all."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        rebuild = sub.add_parser("rebuild", help="Recompute from the mirror rows (idempotent).")
        rebuild.add_argument("slug", nargs="?", default="")

    @no_translations
    def handle(self, *args, action, slug="", **options):
        tenants = Tenant.objects.order_by("slug")
        if slug:
            tenants = tenants.filter(slug=slug)
            if not tenants.exists():
                raise CommandError(f"No tenant with the slug {clean(slug)!r}.", returncode=1)
        changed = 0
        count = 0
        for tenant in tenants.only("pk", "slug"):
            done = rollups.rebuild(tenant.pk)
            count += 1
            changed += done.changed
            self.stdout.write(
                f"{clean(tenant.slug)}: {done.jobs} jobs into {done.job_days} job-day rows, "
                f"{done.chains} databases into {done.chain_days} chain-day rows; "
                + ("corrected" if done.changed else "unchanged")
            )
        self.stdout.write(f"Rebuilt the rollups of {count} tenants; {changed} had differed.")
