"""Superusers and tenant admins invite people by email, send Django's password reset and
deactivate accounts; each is audited. A tenant admin manages only the people of their tenants."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from jobs.accounts.models import UserPreference
from jobs.tenants.models import AuditEvent, Membership
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
LINK = re.compile(r"https://dash\.example\.com(/accounts/reset/[^/\s]+/[^/\s]+/)")


def choose_password(path: str, password: str = "a-new-long-passphrase-42") -> Client:
    client = Client()
    form = client.get(path, follow=True)  # Django moves the token into the session first
    assert form.status_code == 200 and b"new_password1" in form.content
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}
    )
    assert done.status_code == 302 and done["Location"] == "/accounts/reset/done/"
    return client


def test_an_admin_invites_someone_who_chooses_a_password_and_signs_in(
    login, tenant, people, smtp, django_user_model
):
    admin = login("admin")
    response = admin.post(
        "/people/invite/",
        {"email": "frank@example.org", "username": "", "tenant": tenant.pk, "role": "operator"},
    )
    assert response.status_code == 302
    frank = django_user_model.objects.get(username="frank")
    assert frank.email == "frank@example.org" and not frank.has_usable_password()
    assert Membership.objects.get(user=frank, tenant=tenant).role == "operator"
    (invitation,) = smtp.messages
    assert invitation["To"] == "frank@example.org"
    body = invitation.get_content()
    assert "admin invited you" in body and "Your username is frank" in body
    choose_password(LINK.search(body).group(1))
    assert Client().login(username="frank", password="a-new-long-passphrase-42")
    event = AuditEvent.objects.get(action="person_invited")
    assert (event.actor, event.tenant, event.detail["member"]) == (people["admin"], tenant, "frank")
    assert AuditEvent.objects.filter(action="password_reset_done", actor=frank).exists()


def test_a_tenant_admin_invites_only_into_their_own_tenants(
    login, tenant, people, make_tenant, smtp
):
    other = make_tenant("Elsewhere")
    response = login("admin").post(
        "/people/invite/", {"email": "x@example.org", "tenant": other.pk, "role": "viewer"}
    )
    assert response.status_code == 400 and smtp.messages == []
    assert login("viewer").get("/people/").status_code == 404


def test_a_password_reset_by_email_and_a_deactivation(login, tenant, people, smtp):
    admin = login("admin")
    viewer = people["viewer"]
    assert admin.post(f"/people/{viewer.pk}/", {"action": "reset"}).status_code == 302
    (reset,) = smtp.messages
    assert reset["To"] == "viewer@example.com"
    choose_password(LINK.search(reset.get_content()).group(1), "viewer-chose-this-9")
    assert Client().login(username="viewer", password="viewer-chose-this-9")

    viewer.refresh_from_db()  # the new password's hash: the session carries it
    signed_in = Client()
    signed_in.force_login(viewer)
    assert signed_in.get("/").status_code == 200
    assert admin.post(f"/people/{viewer.pk}/", {"action": "deactivate"}).status_code == 302
    assert signed_in.get("/").status_code == 302  # the open session ended
    assert not Client().login(username="viewer", password="viewer-chose-this-9")
    admin.post(f"/people/{viewer.pk}/", {"action": "reactivate"})
    assert Client().login(username="viewer", password="viewer-chose-this-9")
    actions = list(
        AuditEvent.objects.filter(detail__member="viewer")
        .order_by("at", "id")
        .values_list("action", flat=True)
    )
    assert actions == ["password_reset_sent", "account_deactivated", "account_reactivated"]


def test_a_tenant_admin_cannot_touch_a_superuser_someone_elses_member_or_themselves(
    login, tenant, people, make_tenant, django_user_model, smtp
):
    other = make_tenant("Elsewhere")
    both = django_user_model.objects.create_user("both", "b@example.com", PASSWORD)
    Membership.objects.create(user=both, tenant=tenant, role="viewer")
    Membership.objects.create(user=both, tenant=other, role="viewer")
    admin = login("admin")
    page = admin.get("/people/").content.decode()
    assert "root" not in page  # not a member of the admin's tenant: not listed
    for person in (people["admin"], both):
        admin.post(f"/people/{person.pk}/", {"action": "deactivate"})
        person.refresh_from_db()
        assert person.is_active, person
    assert admin.post(f"/people/{people['root'].pk}/", {"action": "deactivate"}).status_code == 404
    assert not AuditEvent.objects.filter(action="account_deactivated").exists()
    root = login("root")
    root.post(f"/people/{both.pk}/", {"action": "deactivate"})
    both.refresh_from_db()
    assert not both.is_active  # a superuser may


def test_forgot_password_sends_django_s_link_from_the_base_url(client, people, smtp):
    page = client.get("/accounts/login/")
    assert b'href="/accounts/password_reset/"' in page.content
    response = client.post("/accounts/password_reset/", {"email": "operator@example.com"})
    assert response.status_code == 302
    client.post("/accounts/password_reset/", {"email": "nobody@example.com"})  # same answer
    (message,) = smtp.messages
    assert message["To"] == "operator@example.com"
    choose_password(LINK.search(message.get_content()).group(1))
    assert AuditEvent.objects.filter(action="password_reset_sent", detail__by="self").count() == 1


def test_the_language_is_kept_on_the_account(login, people):
    client = login("viewer")
    client.post("/accounts/preferences/", {"time_zone": "Asia/Shanghai", "language": "zh-hans"})
    preference = UserPreference.objects.get(user=people["viewer"])
    assert (preference.language, preference.time_zone) == ("zh-hans", "Asia/Shanghai")
    fresh = Client()  # another browser: no language cookie, an English Accept-Language
    fresh.post("/accounts/login/", {"username": "viewer", "password": PASSWORD})
    page = fresh.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="zh-hans">' in page.content.decode()
    assert page.cookies["django_language"].value == "zh-hans"


def test_with_local_passwords_off_no_password_link_is_sent(login, tenant, people, smtp, settings):
    settings.LOCAL_PASSWORDS = False  # single sign-on is the way in
    root = login("root")
    root.post(f"/people/{people['viewer'].pk}/", {"action": "reset"})
    root.post(
        "/people/invite/", {"email": "hal@example.org", "tenant": tenant.pk, "role": "viewer"}
    )
    Client().post("/accounts/password_reset/", {"email": "operator@example.com"})
    (invitation,) = smtp.messages  # the invitation only, and without a password link
    assert invitation["To"] == "hal@example.org"
    assert "Sign in with single sign-on at: https://dash.example.com/accounts/login/" in (
        invitation.get_content()
    )
    assert not LINK.search(invitation.get_content())
    assert not AuditEvent.objects.filter(action="password_reset_sent").exists()
