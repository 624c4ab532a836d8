"""`manage.py migrations list|show`: a tenant's databases being migrated (chains), from the
mirror (no DRS call), through the same presenter as the pages (`jobs.chains.present`).

Exit status: 0 when it worked; 1 for an unknown tenant, state or migration. `--json` prints only
JSON on stdout: each chain's tenant, instance, database, state, since, and its steps' job ids.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, no_translations
from django.utils import timezone

from jobs.chains.present import STATES, present, tenant_chains
from jobs.lib.terminal import json_text
from jobs.management.output import clean, facts, section, table, utc
from jobs.mirror.models import Chain
from jobs.tenants.models import Tenant


class Command(BaseCommand):
    help = "A tenant's migrations (databases as chains of jobs) from the mirror, or --json."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="The tenant's migrations, by database.")
        listing.add_argument("slug")
        listing.add_argument("--state", default="", help=", ".join(STATES))
        listing.add_argument("--json", action="store_true", dest="as_json")
        show = sub.add_parser("show", help="One migration: its steps and what comes next.")
        show.add_argument("slug")
        show.add_argument("instance", help="Target instance id.")
        show.add_argument("database")
        show.add_argument("--json", action="store_true", dest="as_json")

    @no_translations
    def handle(self, *args, action, slug, as_json=False, **options):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No tenant with the slug {clean(slug)!r}.", returncode=1)
        getattr(self, f"_{action}")(tenant, as_json=as_json, **options)

    def _list(self, tenant, *, state, as_json, **_):
        if state and state not in STATES:
            raise CommandError(f"--state must be one of {', '.join(STATES)}.", returncode=1)
        now = timezone.now()
        migrations = [present(c, tenant, now) for c in tenant_chains(tenant, state=state, now=now)]
        if as_json:
            self.stdout.write(json_text([m.as_json() for m in migrations]))
            return
        rows = [
            (
                clean(m.chain.database) + (" (inferred)" if m.chain.inferred else ""),
                clean(m.chain.instance_name or m.chain.target_instance_id),
                m.state,
                utc(m.chain.since),
                str(m.chain.steps),
            )
            for m in migrations
        ]
        lines = table(("Database", "Instance", "State", "Since", "Steps"), rows)
        self.stdout.write("\n".join(lines) if rows else "No migrations.")

    def _show(self, tenant, *, instance, database, as_json, **_):
        chain = Chain.objects.filter(
            tenant=tenant, target_instance_id=instance, database=database
        ).first()
        if chain is None:
            raise CommandError("No such migration in the mirror.", returncode=1)
        migration = present(chain, tenant, timezone.now(), steps=True)
        if as_json:
            self.stdout.write(json_text(migration.as_json()))
            return
        lines = facts(
            [
                ("Database", clean(chain.database) + (" (inferred)" if chain.inferred else "")),
                ("Instance", clean(chain.instance_name or chain.target_instance_id)),
                ("State", f"{migration.label}: {migration.words}"),
                ("Next step", migration.next_step),
            ]
            + ([("Leaves", migration.leaves), ("Hint", migration.hint)] if migration.leaves else [])
        )
        lines += section("Steps")
        lines += table(
            ("Step", "Job", "Name", "Status", "Files", "Duration"),
            [
                (
                    f"{s.run}.{s.position}",
                    s.job_id + (" (deleted in DRS)" if s.deleted else ""),
                    clean(s.name),
                    clean(s.status),
                    str(s.files),
                    s.duration,
                )
                for s in migration.steps
            ],
        )
        self.stdout.write("\n".join(lines))
