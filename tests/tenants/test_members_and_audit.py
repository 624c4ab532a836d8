"""Tenant admins manage members; every change is in the audit log, which admins can filter."""

from __future__ import annotations

import pytest

from jobs.tenants.models import AuditEvent, Membership, Tenant

pytestmark = pytest.mark.django_db


def test_admin_adds_changes_and_removes_a_member(login, people, tenant):
    client = login("admin")
    client.post(f"/tenants/{tenant.slug}/members/", {"username": "charlie", "role": "viewer"})
    membership = Membership.objects.get(user=people["outsider"], tenant=tenant)
    assert membership.role == "viewer"
    client.post(f"/tenants/{tenant.slug}/members/{membership.pk}/", {"role": "operator"})
    membership.refresh_from_db()
    assert membership.role == "operator"
    client.post(f"/tenants/{tenant.slug}/members/{membership.pk}/", {"remove": "1"})
    assert not Membership.objects.filter(pk=membership.pk).exists()
    actions = list(
        AuditEvent.objects.filter(tenant=tenant).order_by("id").values_list("action", flat=True)
    )
    assert actions == ["member_added", "member_changed", "member_removed"]


def test_unknown_user_gets_a_message(login, people, tenant):
    response = login("admin").post(
        f"/tenants/{tenant.slug}/members/", {"username": "nobody", "role": "viewer"}
    )
    assert response.status_code == 400
    assert "No user with that username" in response.content.decode()


def test_admin_cannot_demote_themselves(login, people, tenant):
    own = Membership.objects.get(user=people["admin"], tenant=tenant)
    login("admin").post(f"/tenants/{tenant.slug}/members/{own.pk}/", {"role": "viewer"})
    own.refresh_from_db()
    assert own.role == "admin"


def test_member_of_another_tenant_is_out_of_reach(login, people, tenant, make_tenant):
    other = make_tenant("Other")
    foreign = Membership.objects.create(user=people["outsider"], tenant=other, role="viewer")
    response = login("admin").post(f"/tenants/{tenant.slug}/members/{foreign.pk}/", {"remove": "1"})
    assert response.status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()


def test_superuser_creates_and_deletes_a_tenant(login, people, tenant, simulator_config):
    client = login("root")
    response = client.post(
        "/tenants/new/",
        {
            "name": "Beta Corp",
            "region": "cn-south-2",
            "project_id": simulator_config.project_id,
            "auth_method": "aksk",
            "access_key": "AKBETA",
            "secret_key": "sk-beta-secret",
            "language": "zh-cn",
        },
    )
    assert response.status_code == 302
    beta = Tenant.objects.get(name="Beta Corp")
    assert response["Location"] == f"/tenants/{beta.slug}/"
    client.post(f"/tenants/{beta.slug}/delete/")
    assert not Tenant.objects.filter(pk=beta.pk).exists()
    actions = list(
        AuditEvent.objects.filter(tenant_name="Beta Corp")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["tenant_created", "credentials_changed", "tenant_deleted"]


def test_audit_log_filters_and_scope(login, people, tenant, make_tenant):
    other = make_tenant("Other")
    from jobs.tenants import audit

    audit.record("tenant_updated", actor=people["root"], tenant=tenant, fields=["name"])
    audit.record("tenant_updated", actor=people["root"], tenant=other, fields=["name"])
    audit.record("member_added", actor=people["admin"], tenant=tenant, member="x", role="viewer")

    admin = login("admin")
    html = admin.get("/audit/").content.decode()
    assert "Other" not in html  # an admin of one tenant sees only that tenant's events
    html = admin.get("/audit/", {"action": "member_added"}).content.decode()
    assert html.count("<tr>") == 2  # header + one event

    html = login("root").get("/audit/", {"tenant": other.pk}).content.decode()
    assert "Other" in html and html.count("<tr>") == 2


def test_admin_cannot_change_their_own_role_through_the_add_form(login, people, tenant):
    response = login("admin").post(
        f"/tenants/{tenant.slug}/members/", {"username": "admin", "role": "viewer"}
    )
    assert response.status_code == 400
    assert Membership.objects.get(user=people["admin"], tenant=tenant).role == "admin"
    assert "Already a member" in response.content.decode()
    assert not AuditEvent.objects.filter(action="member_changed").exists()


def test_the_add_form_does_not_change_other_members_either(login, people, tenant):
    login("admin").post(f"/tenants/{tenant.slug}/members/", {"username": "viewer", "role": "admin"})
    assert Membership.objects.get(user=people["viewer"], tenant=tenant).role == "viewer"


def test_the_add_form_does_not_tell_which_usernames_exist(login, people, tenant, django_user_model):
    django_user_model.objects.create_user("gone", is_active=False)
    client = login("admin")
    answers = {}
    for username in ("nobody", "gone"):
        response = client.post(
            f"/tenants/{tenant.slug}/members/", {"username": username, "role": "viewer"}
        )
        answers[username] = (response.status_code, response.context["form"].errors["username"])
    assert answers["nobody"] == answers["gone"]
    assert not Membership.objects.filter(user__username="gone").exists()
