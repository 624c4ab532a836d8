"""What each person keeps for themselves."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserPreference(models.Model):
    """Per-user display settings; an empty time zone means "as the browser reports it"."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    # The interface language chosen on the account (empty: the browser's), kept across sign-ins.
    language = models.CharField(_("language"), max_length=8, blank=True)
    # An address the person asked for and has not confirmed yet: `user.email` (where every
    # notification goes) changes only once the link sent to it is opened.
    pending_email = models.EmailField(_("unconfirmed email address"), blank=True)
    # The last filters used on each tenant's job list: {tenant slug: query string}.
    list_filters = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.time_zone or 'browser'}"


class OidcIdentity(models.Model):
    """Which person a provider's subject signs in as: found by (issuer, sub), never by e-mail
    (providers let people set their own addresses)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_identities"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="one_person_per_subject")
        ]

    def __str__(self) -> str:
        return f"{self.issuer} {self.subject} → {self.user}"
