"""Writes to tenants and their members, each with its audit entry, for the views and the CLI.

Keyword-only, one transaction each: the change and its audit entry are stored together or not
at all. Who acted comes from `request` (the signed-in user and their address) or `actor_name`
(`"manage.py"` for the CLI), as `audit.record` takes them.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest

from jobs.tenants import audit
from jobs.tenants.forms import TenantForm
from jobs.tenants.models import Membership, Role, Tenant

Action = audit.Action
SECRET_FIELDS = {"password", "secret_key"}
CREDENTIAL_FIELDS = {"auth_method", "iam_domain", "iam_user", "access_key"}


@transaction.atomic
def tenant_create(
    *, form: TenantForm, request: HttpRequest | None = None, actor_name: str = ""
) -> Tenant:
    """Save the new tenant of a valid `form`; audited with the credentials it was given."""
    tenant = form.save()
    audit.record(
        Action.TENANT_CREATED,
        request=request,
        actor_name=actor_name,
        tenant=tenant,
        slug=tenant.slug,
    )
    _record_credentials(form, tenant, request=request, actor_name=actor_name)
    return tenant


@transaction.atomic
def tenant_update(
    *, form: TenantForm, request: HttpRequest | None = None, actor_name: str = ""
) -> Tenant:
    """Save a valid `form` over its tenant; audited with the names (never the values) of the
    fields that changed, the credentials apart."""
    tenant = form.save()
    changed = sorted(set(form.changed_data) - SECRET_FIELDS)
    if changed:
        audit.record(
            Action.TENANT_UPDATED,
            request=request,
            actor_name=actor_name,
            tenant=tenant,
            fields=changed,
        )
    _record_credentials(form, tenant, request=request, actor_name=actor_name)
    return tenant


def _record_credentials(form: TenantForm, tenant: Tenant, **actor) -> None:
    changed = sorted(set(form.changed_secrets) | (CREDENTIAL_FIELDS & set(form.changed_data)))
    if changed:
        audit.record(Action.CREDENTIALS_CHANGED, tenant=tenant, fields=changed, **actor)


@transaction.atomic
def tenant_delete(
    *, tenant: Tenant, request: HttpRequest | None = None, actor_name: str = ""
) -> None:
    """Delete the tenant with its memberships; the audit entry keeps its name and slug."""
    audit.record(
        Action.TENANT_DELETED,
        request=request,
        actor_name=actor_name,
        tenant=tenant,
        slug=tenant.slug,
    )
    tenant.delete()


@transaction.atomic
def membership_grant(
    *,
    tenant: Tenant,
    user: AbstractBaseUser,
    role: Role | str,
    request: HttpRequest | None = None,
    actor_name: str = "",
) -> tuple[Membership, bool]:
    """Make `user` a member of `tenant` with `role`; True if they were not one. An existing
    member keeps their role (someone may have added them a moment ago): change it with
    `membership_role_change`."""
    membership, created = Membership.objects.get_or_create(
        user=user, tenant=tenant, defaults={"role": role}
    )
    if created:
        audit.record(
            Action.MEMBER_ADDED,
            request=request,
            actor_name=actor_name,
            tenant=tenant,
            member=user.get_username(),
            role=role,
        )
    return membership, created


@transaction.atomic
def membership_role_change(
    *,
    membership: Membership,
    role: Role | str,
    request: HttpRequest | None = None,
    actor_name: str = "",
) -> Membership:
    membership.role = role
    membership.save(update_fields=["role"])
    audit.record(
        Action.MEMBER_CHANGED,
        request=request,
        actor_name=actor_name,
        tenant=membership.tenant,
        member=membership.user.get_username(),
        role=role,
    )
    return membership


@transaction.atomic
def membership_remove(
    *, membership: Membership, request: HttpRequest | None = None, actor_name: str = ""
) -> None:
    username = membership.user.get_username()
    membership.delete()
    audit.record(
        Action.MEMBER_REMOVED,
        request=request,
        actor_name=actor_name,
        tenant=membership.tenant,
        member=username,
    )


@transaction.atomic
def set_actions(
    *, tenant: Tenant, enabled: bool, request: HttpRequest | None = None, actor_name: str = ""
) -> bool:
    """Turn the tenant's job actions on or off; audited. True if this changed anything."""
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if tenant.actions_enabled == enabled:
        return False
    tenant.actions_enabled = enabled
    tenant.save(update_fields=["actions_enabled", "updated_at"])
    action = Action.ACTIONS_ENABLED if enabled else Action.ACTIONS_DISABLED
    audit.record(action, request=request, actor_name=actor_name, tenant=tenant)
    return True
