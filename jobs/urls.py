from django.urls import path, register_converter

from jobs.accounts import oidc
from jobs.api import views as api_pages
from jobs.api.urls import urls as api_v1
from jobs.notify import views as notify
from jobs.views import (
    accounts,
    actions,
    fleet,
    health,
    job_page,
    migrations,
    operations,
    people,
    tenants,
)


class JobIdConverter:
    """Job ids look like UUIDs but are not hex: never Django's <uuid:>. At most 64 characters
    (drs.models.JOB_ID, and the columns that store them): longer ones are a 404."""

    regex = "[A-Za-z0-9][A-Za-z0-9-]{0,63}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(JobIdConverter, "job_id")

urlpatterns = [
    path("", fleet.home, name="home"),
    path("failures/", fleet.failures, name="failures"),
    path("migrations/", migrations.migrations_overview, name="migrations"),
    path(
        "tenants/<slug:slug>/migrations/",
        migrations.tenant_migrations,
        name="tenant_migrations",
    ),
    path(
        "tenants/<slug:slug>/migrations/<str:instance>/<str:database>/",
        migrations.migration_detail,
        name="migration_detail",
    ),
    path("healthz", health.healthz, name="healthz"),
    path("metrics", operations.metrics, name="metrics"),
    path("sync/", operations.sync_status, name="sync_status"),
    path("accounts/login/", accounts.login, name="login"),
    path("accounts/logout/", accounts.logout, name="logout"),
    path("accounts/password_change/", accounts.password_change, name="password_change"),
    path(
        "accounts/password_change/done/",
        accounts.password_change_done,
        name="password_change_done",
    ),
    path("accounts/preferences/", accounts.preferences, name="preferences"),
    # People (jobs/views/people.py): one's email address, Django's password reset, the people page.
    path("accounts/email/", people.account_email, name="account_email"),
    path(
        "accounts/email/confirm/<str:token>/",
        people.account_email_confirm,
        name="account_email_confirm",
    ),
    path("accounts/password_reset/", people.password_reset, name="password_reset"),
    path("accounts/password_reset/done/", people.password_reset_done, name="password_reset_done"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        people.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("accounts/reset/done/", people.password_reset_complete, name="password_reset_complete"),
    path("people/", people.people, name="people"),
    path("people/invite/", people.people_invite, name="people_invite"),
    path("people/<int:user_id>/", people.person_action, name="person_action"),
    path("tenants/", tenants.tenant_list, name="tenant_list"),
    path("tenants/new/", tenants.tenant_create, name="tenant_create"),
    path(
        "tenants/new/test-connection/",
        tenants.tenant_test_connection_new,
        name="tenant_test_connection_new",
    ),
    path("tenants/<slug:slug>/", tenants.tenant_detail, name="tenant_detail"),
    path("tenants/<slug:slug>/edit/", tenants.tenant_edit, name="tenant_edit"),
    path("tenants/<slug:slug>/actions/", tenants.tenant_actions, name="tenant_actions"),
    path(
        "tenants/<slug:slug>/test-connection/",
        tenants.tenant_test_connection,
        name="tenant_test_connection",
    ),
    path("tenants/<slug:slug>/delete/", tenants.tenant_delete, name="tenant_delete"),
    path("tenants/<slug:slug>/members/", tenants.tenant_members, name="tenant_members"),
    path(
        "tenants/<slug:slug>/members/<int:member_id>/",
        tenants.tenant_member,
        name="tenant_member",
    ),
    path("audit/", tenants.audit_log, name="audit_log"),
    path("jobs/lookup/", job_page.lookup, name="job_lookup"),
    path("jobs/lookup/tenants/", tenants.tenant_search, name="tenant_search"),
    path("tenants/<slug:slug>/jobs/", fleet.job_list, name="job_list"),
    path("tenants/<slug:slug>/jobs/new/", actions.job_create, name="job_create"),
    path("tenants/<slug:slug>/jobs/delete/", actions.jobs_delete, name="jobs_delete"),
    path("tenants/<slug:slug>/jobs/<job_id:job_id>/rename/", actions.job_rename, name="job_rename"),
    path("tenants/<slug:slug>/jobs/<job_id:job_id>/tags/", actions.job_tags, name="job_tags"),
    path("tenants/<slug:slug>/jobs/<job_id:job_id>/delete/", actions.job_delete, name="job_delete"),
    path("tenants/<slug:slug>/jobs/<job_id:job_id>/", job_page.job_detail, name="job_detail"),
    path(
        "tenants/<slug:slug>/jobs/<job_id:job_id>/error-log.txt",
        job_page.job_error_log,
        name="job_error_log",
    ),
    path(
        "tenants/<slug:slug>/jobs/<job_id:job_id>/files.csv",
        job_page.job_files,
        name="job_files",
    ),
    # Notifications (jobs/notify/)
    path("notifications/", notify.my_notifications, name="notify_mine"),
    path("tenants/<slug:slug>/notifications/", notify.notify_settings, name="notify_settings"),
    path(
        "tenants/<slug:slug>/notifications/channels/",
        notify.channel_create,
        name="notify_channel_create",
    ),
    path(
        "tenants/<slug:slug>/notifications/channels/<int:channel_id>/test/",
        notify.channel_test,
        name="notify_channel_test",
    ),
    path(
        "tenants/<slug:slug>/notifications/channels/<int:channel_id>/delete/",
        notify.channel_delete,
        name="notify_channel_delete",
    ),
    path("tenants/<slug:slug>/notifications/rules/", notify.rule_create, name="notify_rule_create"),
    path(
        "tenants/<slug:slug>/notifications/rules/<int:rule_id>/delete/",
        notify.rule_delete,
        name="notify_rule_delete",
    ),
    path(
        "tenants/<slug:slug>/notifications/deliveries/",
        notify.delivery_log,
        name="notify_deliveries",
    ),
    path("tenants/<slug:slug>/jobs/<job_id:job_id>/watch/", notify.watch_job, name="notify_watch"),
    # Single sign-on, API tokens and the read API (jobs/accounts/oidc.py, jobs/api/)
    path("accounts/oidc/start/", oidc.start, name="oidc_start"),
    path("accounts/oidc/callback/", oidc.callback, name="oidc_callback"),
    path("accounts/tokens/", api_pages.my_tokens, name="api_tokens"),
    path("accounts/tokens/<int:token_id>/revoke/", api_pages.revoke_mine, name="api_token_revoke"),
    path("tenants/<slug:slug>/tokens/", api_pages.tenant_tokens, name="tenant_tokens"),
    path(
        "tenants/<slug:slug>/tokens/<int:token_id>/revoke/",
        api_pages.tenant_token_revoke,
        name="tenant_token_revoke",
    ),
    path("api/v1/", api_v1),
]
