"""Personal API tokens.

Tokens are stored as the SHA-256 of a 256-bit random secret: the secret is shown once, when it
is made, and cannot be read back. (A slow hash buys nothing for a secret with that much entropy,
and a fast one keeps every API request to one indexed lookup.)
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    # The first characters of the secret ("drs_Ab3d"): enough to tell tokens apart in a list.
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)  # sha256 hex of the whole token
    read_only = models.BooleanField(_("read-only"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150, blank=True)  # who made it (a person, or "cli")
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                condition=models.Q(revoked_at=None),
                name="one_live_token_name_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.name}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired
