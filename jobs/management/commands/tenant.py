"""`manage.py tenant add|list|test|grant|remove|actions`: tenants from scripts. Secrets never
on argv."""

from __future__ import annotations

import os
import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from jobs.drs import REGIONS
from jobs.lib.terminal import json_text, safe
from jobs.management.output import table
from jobs.tenants import audit, services
from jobs.tenants.forms import TenantForm
from jobs.tenants.models import Role, Tenant
from jobs.upstream.client import check_connection
from jobs.upstream.messages import connection_message

Action = audit.Action
ACTOR = "manage.py"  # the audit log's actor for what the CLI does


class Command(BaseCommand):
    help = "Manage tenants: add, list, test, grant, actions, remove."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Create a tenant; prints its slug on the last line.")
        add.add_argument("--name", required=True)
        add.add_argument("--region", required=True, choices=REGIONS, metavar="REGION")
        add.add_argument("--project-id", required=True)
        add.add_argument("--auth", required=True, choices=["password", "aksk"])
        add.add_argument("--domain", default="", help="IAM account name (--auth password)")
        add.add_argument("--user", default="", help="IAM user name (--auth password)")
        add.add_argument("--ak", default="", help="Access key id (--auth aksk)")
        add.add_argument("--drs-endpoint", default="")
        add.add_argument("--iam-endpoint", default="")
        add.add_argument("--language", default=Tenant.Language.EN, choices=Tenant.Language.values)
        add.add_argument("--enterprise-project-id", default="")
        add.add_argument(
            "--awaiting-hours",
            default="",
            metavar="HOURS",
            help="a database awaiting its next backup longer than this is stalled (1-720; 24)",
        )
        listing = sub.add_parser("list", help="List tenants, with a header row.")
        listing.add_argument(
            "--json", action="store_true", dest="as_json", help="A JSON array of objects."
        )
        test = sub.add_parser(
            "test", help="Test a tenant's connection; exit 0 if it works, 2 if DRS or IAM failed."
        )
        test.add_argument("slug")
        grant = sub.add_parser("grant", help="Give a user a role in a tenant.")
        grant.add_argument("slug")
        grant.add_argument("username")
        grant.add_argument("--role", required=True, choices=[r.value for r in Role])
        actions = sub.add_parser(
            "actions", help="Turn job actions (create, rename, delete, tags) on or off."
        )
        actions.add_argument("slug")
        actions.add_argument("state", choices=["on", "off"])
        remove = sub.add_parser("remove", help="Delete a tenant and its memberships.")
        remove.add_argument("slug")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _add(self, *, name, region, project_id, auth, domain, user, ak, **options):
        secret_env = "DRS_PASSWORD" if auth == "password" else "DRS_SK"
        secret = os.environ.get(secret_env) or self._read_secret(secret_env)
        form = TenantForm(
            {
                "name": name,
                "region": region,
                "project_id": project_id,
                "auth_method": auth,
                "iam_domain": domain,
                "iam_user": user,
                "access_key": ak,
                "language": options["language"],
                "enterprise_project_id": options["enterprise_project_id"],
                "drs_endpoint": options["drs_endpoint"],
                "iam_endpoint": options["iam_endpoint"],
                "awaiting_threshold_hours": options["awaiting_hours"],
                "password" if auth == "password" else "secret_key": secret,
            }
        )
        if not form.is_valid():
            problems = "; ".join(
                f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()
            )
            raise CommandError(safe(f"Tenant not created: {problems}"))
        tenant = services.tenant_create(form=form, actor_name=ACTOR)
        self.stdout.write(
            safe(f"Created tenant {tenant.name} ({tenant.get_auth_method_display()})")
        )
        self.stdout.write(safe(tenant.slug))

    def _read_secret(self, variable: str) -> str:
        if sys.stdin is None or sys.stdin.isatty():
            import getpass

            return getpass.getpass(f"{variable} not set; enter the secret: ")
        return sys.stdin.readline().rstrip("\n")

    LIST_FIELDS = ("slug", "name", "region", "project_id", "auth_method")

    def _list(self, *, as_json=False, **options):
        tenants = Tenant.objects.order_by("slug")
        rows = [[getattr(tenant, field) for field in self.LIST_FIELDS] for tenant in tenants]
        if as_json:  # JSON escapes control characters itself
            data = [dict(zip(self.LIST_FIELDS, row, strict=True)) for row in rows]
            self.stdout.write(json_text(data, indent=2))
            return
        headers = ("SLUG", "NAME", "REGION", "PROJECT ID", "AUTH")
        self.stdout.write("\n".join(table(headers, [[safe(v) for v in row] for row in rows])))
        self.stdout.write(f"{len(rows)} tenant{'s' if len(rows) != 1 else ''}")

    def _test(self, *, slug, **options):
        tenant = self._tenant(slug)
        outcome = check_connection(tenant)
        ok, message = outcome.ok, connection_message(outcome, tenant)
        audit.record(Action.CONNECTION_TESTED, actor_name=ACTOR, tenant=tenant, ok=ok)
        if not ok:  # exit 2, as `jobs` does when DRS or the credentials failed
            raise CommandError(safe(message), returncode=2)
        self.stdout.write(safe(message))

    def _grant(self, *, slug, username, role, **options):
        tenant = self._tenant(slug)
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(safe(f"No user {username!r}"))
        membership, created = services.membership_grant(
            tenant=tenant, user=user, role=role, actor_name=ACTOR
        )
        if not created:
            services.membership_role_change(membership=membership, role=role, actor_name=ACTOR)
        self.stdout.write(safe(f"{username} is {role} of {tenant.slug}"))

    def _actions(self, *, slug, state, **options):
        tenant = self._tenant(slug)
        changed = services.set_actions(tenant=tenant, enabled=state == "on", actor_name=ACTOR)
        already = "" if changed else " (already)"
        self.stdout.write(safe(f"Job actions are {state} for {tenant.slug}{already}"))

    def _remove(self, *, slug, **options):
        tenant = self._tenant(slug)
        services.tenant_delete(tenant=tenant, actor_name=ACTOR)
        self.stdout.write(safe(f"Removed {slug}"))

    def _tenant(self, slug: str) -> Tenant:
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(safe(f"No tenant {slug!r}"))
        return tenant
