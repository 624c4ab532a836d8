"""Changes to people, each with its audit entry. Views call these; so could a command."""

from __future__ import annotations

import hashlib
import re

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from jobs.accounts import mail
from jobs.accounts.models import UserPreference
from jobs.accounts.passwords import local_password_allowed
from jobs.tenants import audit
from jobs.tenants.models import AuditEvent, Membership, Role, Tenant

Action = AuditEvent.Action
CONFIRM_SALT = "jobs.accounts.email-confirmation"
CONFIRM_MAX_AGE = 3 * 24 * 3600  # a confirmation link works for three days


class Refused(Exception):
    """Why this cannot be done, in words for the person who asked."""


# -- one's own email address --------------------------------------------------------------------


def _fingerprint(user) -> str:
    """Changes when the address does: a link for an address since replaced stops working."""
    return hashlib.sha256(f"{user.pk}:{user.email}".encode()).hexdigest()[:16]


def confirmation_token(user, address: str) -> str:
    return signing.dumps({"u": user.pk, "e": address, "f": _fingerprint(user)}, salt=CONFIRM_SALT)


def request_email(user, address: str, *, request=None) -> None:
    """Keep `address` as pending and email it a confirmation link. Nothing else is ever sent
    there until the link is opened."""
    preference, _created = UserPreference.objects.get_or_create(user=user)
    preference.pending_email = address
    preference.save(update_fields=["pending_email"])
    link = mail.absolute(reverse("account_email_confirm", args=[confirmation_token(user, address)]))
    mail.send(
        "confirm",
        address,
        {"user": user, "link": link, "days": CONFIRM_MAX_AGE // 86400},
        preference.language or None,
    )
    audit.record(Action.EMAIL_CONFIRMATION_SENT, request=request, actor=user, email=address)


def confirm_email(user, token: str, *, request=None) -> str:
    """The confirmed address; raises Refused for a link that is not this person's, is too old,
    or was replaced by a newer request."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.SignatureExpired:
        raise Refused(_("This confirmation link has expired: ask for a new one.")) from None
    except signing.BadSignature:
        raise Refused(_("This confirmation link is not valid.")) from None
    preference = UserPreference.objects.filter(user=user).first()
    pending = preference.pending_email if preference else ""
    if data.get("u") != user.pk or data.get("f") != _fingerprint(user):
        raise Refused(_("This confirmation link is not for your account, or was already used."))
    if not pending or data.get("e") != pending:
        raise Refused(_("This link is for an address you have since replaced: use the newest."))
    with transaction.atomic():
        user.email = pending
        user.save(update_fields=["email"])
        preference.pending_email = ""
        preference.save(update_fields=["pending_email"])
        audit.record(Action.EMAIL_CONFIRMED, request=request, actor=user, email=pending)
    return pending


def remove_email(user, *, request=None) -> None:
    with transaction.atomic():
        old = user.email
        user.email = ""
        user.save(update_fields=["email"])
        UserPreference.objects.filter(user=user).update(pending_email="")
        audit.record(Action.EMAIL_REMOVED, request=request, actor=user, email=old)


# -- others: who may manage whom ----------------------------------------------------------------


def admin_tenants(actor) -> QuerySet[Tenant]:
    if actor.is_superuser:
        return Tenant.objects.all()
    return Tenant.objects.filter(memberships__user=actor, memberships__role=Role.ADMIN)


def may_manage_people(actor) -> bool:
    return actor.is_superuser or admin_tenants(actor).exists()


def people_for(actor) -> QuerySet:
    """Everyone for a superuser; for a tenant admin, the members of their tenants."""
    users = get_user_model().objects.order_by("username")
    if actor.is_superuser:
        return users
    return users.filter(memberships__tenant__in=admin_tenants(actor)).distinct()


def may_manage(actor, person) -> bool:
    """A superuser: anyone but themselves. A tenant admin: a person (not a superuser) all of
    whose tenants they administer, so that no admin locks someone out of another's tenant."""
    if person.pk == actor.pk:
        return False
    if actor.is_superuser:
        return True
    if person.is_superuser:
        return False
    theirs = set(Membership.objects.filter(user=person).values_list("tenant", flat=True))
    mine = set(admin_tenants(actor).values_list("pk", flat=True))
    return bool(theirs) and theirs <= mine


def _checked(actor, person) -> None:
    if not may_manage(actor, person):
        raise Refused(_("You cannot manage this person's account."))


# -- invitations, password resets, deactivation -------------------------------------------------

USERNAME = re.compile(r"[^\w.@+-]")


def username_from(address: str) -> str:
    base = USERNAME.sub("", address.split("@")[0])[:100] or "person"
    name, n = base, 1
    model = get_user_model()
    while model.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}{n}"
    return name


def invite(
    actor, address: str, tenant: Tenant | None, role: str, *, username: str = "", request=None
):
    """A new account for `address` with no usable password, a membership, and an email with
    the link to choose a password. The link goes to that address: opening it confirms it."""
    if tenant is None and not actor.is_superuser:
        raise Refused(_("Choose the tenant they join."))
    if tenant is not None and not admin_tenants(actor).filter(pk=tenant.pk).exists():
        raise Refused(_("You are not an admin of that tenant."))
    model = get_user_model()
    if model.objects.filter(email__iexact=address).exists():
        raise Refused(_("Someone already has this email address."))
    name = username or username_from(address)
    if model.objects.filter(username__iexact=name).exists():
        raise Refused(_("That username is taken."))
    with transaction.atomic():
        person = model(username=name, email=address)
        person.set_unusable_password()
        person.save()
        if tenant is not None:
            Membership.objects.create(user=person, tenant=tenant, role=role)
        audit.record(
            Action.PERSON_INVITED,
            request=request,
            tenant=tenant,
            member=name,
            email=address,
            role=role if tenant else "",
        )
    context = {
        "person": person,
        "inviter": actor,
        "tenant": tenant,
        # With passwords off (single sign-on), they sign in through the provider: no link.
        "link": mail.password_link(person) if local_password_allowed(name) else "",
        "login": mail.absolute(reverse("login")),
    }
    mail.send("invite", address, context)
    return person


def send_password_reset(actor, person, *, request=None) -> None:
    """Django's reset link, by email to the person's confirmed address."""
    _checked(actor, person)
    if not person.email:
        raise Refused(_("%(name)s has no email address.") % {"name": person.get_username()})
    if not person.is_active:
        raise Refused(_("Reactivate the account first."))
    if not local_password_allowed(person.get_username()):
        raise Refused(
            _("%(name)s signs in through single sign-on: local passwords are off.")
            % {"name": person.get_username()}
        )
    context = {"person": person, "link": mail.password_link(person)}
    mail.send("reset", person.email, context)
    audit.record(
        Action.PASSWORD_RESET_SENT, request=request, member=person.get_username(), by="admin"
    )


def set_active(actor, person, active: bool, *, request=None) -> None:
    """Deactivated: cannot sign in, and every session of theirs ends at its next request."""
    _checked(actor, person)
    if person.is_active == active:
        return
    person.is_active = active
    person.save(update_fields=["is_active"])
    action = Action.ACCOUNT_REACTIVATED if active else Action.ACCOUNT_DEACTIVATED
    audit.record(action, request=request, member=person.get_username())
