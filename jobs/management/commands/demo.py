import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from jobs.models import Tenant
from jobs.simulator import SimulatorConfig

DEMO_USER = "demo"
DEMO_PASSWORD = "drs-demo-2026"  # noqa: S105 (printed demo login)


class Command(BaseCommand):
    help = "Create the demo login and two tenants (token and AK/SK) pointing at the simulator."

    def add_arguments(self, parser):
        parser.add_argument("--simulator-url", default="http://127.0.0.1:8001")

    def handle(self, *args, simulator_url, **options):
        config = SimulatorConfig()
        password = os.environ.get("DEMO_PASSWORD", DEMO_PASSWORD)
        user, _ = get_user_model().objects.get_or_create(username=DEMO_USER)
        user.is_superuser = user.is_staff = True
        user.set_password(password)
        user.save()

        domain, iam_user, iam_password = config.iam_users[0]
        access_key, secret_key = next(iter(config.access_keys.items()))
        common = {
            "region": "ap-southeast-3",
            "project_id": config.project_id,
            "drs_endpoint": simulator_url,
            "iam_endpoint": simulator_url,
        }
        token_tenant, _ = Tenant.objects.update_or_create(
            slug="demo-token",
            defaults={"name": "Demo (IAM token)", "auth_method": "password", **common},
        )
        token_tenant.iam_domain, token_tenant.iam_user = domain, iam_user
        token_tenant.password = iam_password
        token_tenant.save()
        aksk_tenant, _ = Tenant.objects.update_or_create(
            slug="demo-aksk",
            defaults={"name": "Demo (AK/SK)", "auth_method": "aksk", **common},
        )
        aksk_tenant.access_key = access_key
        aksk_tenant.secret_key = secret_key
        aksk_tenant.save()
        self.stdout.write(f"Demo login: {DEMO_USER} / {password}")
