import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from jobs.notify import services
from jobs.notify.models import Channel, Event, Rule
from jobs.simulator import SimulatorConfig
from jobs.tenants.models import Membership, Role, Tenant

DEMO_PASSWORD = "drs-demo-2026"  # noqa: S105 (the printed demo login)
# The AK/SK tenant reads another project of the simulator than the IAM token tenant: each demo
# tenant has its own jobs, its own live jobs and its own failures.
AKSK_PROJECT = "ap-southeast-3_erp"
LOG_CHANNEL = "Server log"
LOG_EVENTS = (
    Event.FAILED,
    Event.PRECHECK_FAILED,
    Event.SUCCEEDED,
    Event.STALLED,
    Event.AWAITING_CUTOVER,
    Event.DATABASE_ONLINE,
    Event.CHAIN_BLOCKED,
)
WHO = {"actor_name": "manage.py demo"}
ROLE_USERS = {"viewer": Role.VIEWER, "operator": Role.OPERATOR, "admin": Role.ADMIN}


class Command(BaseCommand):
    help = (
        "Create demo logins (a superuser and one user per role) and two simulator tenants, "
        "each on its own simulator project (its own jobs: nothing shows twice)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--simulator-url", default="http://127.0.0.1:8001")
        parser.add_argument(
            "--log-channel",
            action="store_true",
            help=f"a {LOG_CHANNEL!r} channel per demo tenant (log://) with a rule per job event",
        )

    def handle(self, *args, simulator_url, log_channel=False, **options):
        config = SimulatorConfig()
        password = os.environ.get("DEMO_PASSWORD", DEMO_PASSWORD)
        domain, iam_user, iam_password = config.iam_users[0]
        access_key, secret_key = next(iter(config.access_keys.items()))
        common = {
            "region": "ap-southeast-3",
            "drs_endpoint": simulator_url,
            "iam_endpoint": simulator_url,
        }
        token_tenant, _ = Tenant.objects.update_or_create(
            slug="demo-token",
            defaults={
                "name": "Demo (IAM token)",
                "auth_method": Tenant.AuthMethod.PASSWORD,
                "iam_domain": domain,
                "iam_user": iam_user,
                "project_id": config.project_id,
                **common,
            },
        )
        token_tenant.password = iam_password
        token_tenant.save()
        aksk_tenant, _ = Tenant.objects.update_or_create(
            slug="demo-aksk",
            defaults={
                "name": "Demo (AK/SK)",
                "auth_method": Tenant.AuthMethod.AKSK,
                "access_key": access_key,
                "project_id": config.extra_projects[AKSK_PROJECT],
                **common,
            },
        )
        aksk_tenant.secret_key = secret_key
        aksk_tenant.save()

        self._user("demo", password, superuser=True)
        for username, role in ROLE_USERS.items():
            user = self._user(username, password)
            for tenant in (token_tenant, aksk_tenant):
                Membership.objects.update_or_create(
                    user=user, tenant=tenant, defaults={"role": role}
                )
        if log_channel:
            for tenant in (token_tenant, aksk_tenant):
                self._log_channel(tenant)
        if not settings.DRS_ALLOW_CUSTOM_ENDPOINTS:
            self.stderr.write(
                "The demo tenants use the simulator's endpoint: run the dashboard with "
                "DRS_ALLOW_CUSTOM_ENDPOINTS=1 (make run does), or it refuses to call them."
            )
        self.stdout.write(
            f"Demo logins (password {password}): demo (superuser), "
            + ", ".join(f"{name} ({role.label.lower()})" for name, role in ROLE_USERS.items())
        )

    def _log_channel(self, tenant: Tenant) -> None:
        channel = Channel.objects.filter(tenant=tenant, name=LOG_CHANNEL).first()
        if channel is None:
            channel, _secret = services.add_channel(tenant, LOG_CHANNEL, "log://", **WHO)
        for event in LOG_EVENTS:
            if not Rule.objects.filter(channel=channel, event=event).exists():
                services.add_rule(tenant, event, channel, **WHO)

    def _user(self, username: str, password: str, superuser: bool = False):
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.is_superuser = user.is_staff = superuser
        user.set_password(password)
        user.save()
        return user
