"""The jobs app: at start-up, connects the signal receivers and registers the access check."""

from django.apps import AppConfig
from django.core import checks


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "DRS backup migration jobs"

    def ready(self) -> None:
        from jobs.accounts import backends  # noqa: F401  (connect their signal receivers)
        from jobs.notify import receivers  # noqa: F401  (job events, memberships ending)
        from jobs.tenants import audit  # noqa: F401

        checks.register(check_access_policies, checks.Tags.security)


def check_access_policies(app_configs, **kwargs) -> list[checks.CheckMessage]:
    from jobs.tenants.access import views_without_policy

    return [
        checks.Error(f"View without an access policy: {route}", id="jobs.E001")
        for route in views_without_policy()
    ]
