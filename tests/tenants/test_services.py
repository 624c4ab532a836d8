"""jobs.tenants.services: each write and its audit entry, stored together or not at all."""

from __future__ import annotations

import pytest

from jobs.tenants import audit, services
from jobs.tenants.forms import TenantForm
from jobs.tenants.models import AuditEvent, Membership, Role, Tenant
from tests.conftest import tenant_form

pytestmark = pytest.mark.django_db


def entries() -> list[tuple[str, str, dict]]:
    return [(e.action, e.actor_name, e.detail) for e in AuditEvent.objects.order_by("id")]


def new_tenant_form() -> TenantForm:
    form = TenantForm(
        {
            "name": "Gamma",
            "region": "ap-southeast-3",
            "project_id": "p-gamma",
            "auth_method": "aksk",
            "access_key": "AKGAMMA",
            "secret_key": "sk-gamma-secret",
            "language": "en-us",
        }
    )
    assert form.is_valid(), form.errors
    return form


def test_tenant_create_records_the_tenant_and_its_credentials():
    tenant = services.tenant_create(form=new_tenant_form(), actor_name="manage.py")
    assert Tenant.objects.get(slug=tenant.slug).secret_key == "sk-gamma-secret"
    assert entries() == [
        ("tenant_created", "manage.py", {"slug": tenant.slug}),
        (
            "credentials_changed",
            "manage.py",
            {"fields": ["access_key", "auth_method", "secret_key"]},
        ),
    ]


def test_a_failed_audit_entry_leaves_no_tenant(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        services.tenant_create(form=new_tenant_form(), actor_name="manage.py")
    assert not Tenant.objects.filter(name="Gamma").exists()


def test_tenant_update_names_the_changed_fields_never_the_secret(tenant):
    form = TenantForm(
        tenant_form(tenant, name="Renamed", password="new-password-123"), instance=tenant
    )
    assert form.is_valid(), form.errors
    services.tenant_update(form=form, actor_name="manage.py")
    assert entries() == [
        ("tenant_updated", "manage.py", {"fields": ["name"]}),
        ("credentials_changed", "manage.py", {"fields": ["password"]}),
    ]


def test_tenant_delete_keeps_the_slug_in_the_log(tenant):
    slug = tenant.slug
    services.tenant_delete(tenant=tenant, actor_name="manage.py")
    assert not Tenant.objects.filter(slug=slug).exists()
    assert entries() == [("tenant_deleted", "manage.py", {"slug": slug})]
    assert AuditEvent.objects.get().tenant_name == "Acme"


def test_grant_adds_once_and_keeps_an_existing_role(tenant, django_user_model):
    user = django_user_model.objects.create_user("dana")
    membership, created = services.membership_grant(
        tenant=tenant, user=user, role=Role.OPERATOR, actor_name="manage.py"
    )
    assert created and membership.role == Role.OPERATOR
    again, created = services.membership_grant(
        tenant=tenant, user=user, role=Role.ADMIN, actor_name="manage.py"
    )
    assert not created and again.pk == membership.pk
    assert Membership.objects.get(pk=membership.pk).role == Role.OPERATOR
    assert entries() == [("member_added", "manage.py", {"member": "dana", "role": "operator"})]


def test_role_change_and_removal_are_recorded(tenant, django_user_model):
    user = django_user_model.objects.create_user("erin")
    membership = Membership.objects.create(user=user, tenant=tenant, role=Role.VIEWER)
    services.membership_role_change(membership=membership, role=Role.ADMIN, actor_name="x")
    assert Membership.objects.get(pk=membership.pk).role == Role.ADMIN
    services.membership_remove(membership=membership, actor_name="x")
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert entries() == [
        ("member_changed", "x", {"member": "erin", "role": "admin"}),
        ("member_removed", "x", {"member": "erin"}),
    ]
