from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from jobs.tenants import audit, crypto
from jobs.tenants.models import Tenant


class Command(BaseCommand):
    help = "Re-encrypt every stored tenant secret under the first DASHBOARD_CREDENTIAL_KEYS key."

    def handle(self, *args, **options):
        count = 0
        with transaction.atomic():
            for tenant in Tenant.objects.select_for_update():
                try:
                    for field in ("password_encrypted", "secret_key_encrypted"):
                        value = getattr(tenant, field)
                        if value:
                            setattr(tenant, field, crypto.rotate(value))
                            count += 1
                except crypto.UndecryptableSecret as exc:
                    raise CommandError(
                        f"Tenant {tenant.slug}: {exc}. Add the old key to "
                        "DASHBOARD_CREDENTIAL_KEYS (after the new one) and run again."
                    ) from exc
                tenant.save(update_fields=["password_encrypted", "secret_key_encrypted"])
            audit.record(audit.Action.KEYS_ROTATED, actor_name="manage.py", secrets=count)
        self.stdout.write(f"Re-encrypted {count} secrets under the first key.")
