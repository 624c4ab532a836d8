"""The account emails: confirmation of a new address, an invitation, a password reset. Links
are built from DASHBOARD_BASE_URL (as in notifications); sends are bounded by EMAIL_TIMEOUT."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


def absolute(path: str) -> str:
    return settings.DASHBOARD_BASE_URL.rstrip("/") + path


def password_link(user) -> str:
    """Django's password reset link (uid and token) for `user`: it stops working once the
    password changes or the person signs in."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return absolute(reverse("password_reset_confirm", args=[uid, token]))


def send(template: str, address: str, context: dict, language: str | None = None) -> None:
    """templates/people/<template>_subject.txt and _email.txt, in `language`."""
    with translation.override(language or translation.get_language()):
        subject = render_to_string(f"people/{template}_subject.txt", context)
        body = render_to_string(f"people/{template}_email.txt", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split())[:200],
        body=body,
        from_email=settings.NOTIFY_FROM_EMAIL,
        to=[address],
        connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
    )
    message.send()
