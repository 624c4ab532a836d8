from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from . import crypto
from .drs import REGIONS

project_id_validator = RegexValidator(r"^[A-Za-z0-9-]{1,64}$", _("Letters, digits and hyphens."))


class Tenant(models.Model):
    """One customer's cloud project, with the credentials we call DRS with."""

    class AuthMethod(models.TextChoices):
        PASSWORD = "password", _("IAM password token")
        AKSK = "aksk", _("Access key (AK/SK)")

    class Language(models.TextChoices):
        EN = "en-us", "English"
        ZH = "zh-cn", "简体中文"

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    region = models.CharField(_("region"), max_length=40, choices=[(r, r) for r in REGIONS])
    project_id = models.CharField(_("project id"), max_length=64, validators=[project_id_validator])
    drs_endpoint = models.URLField(_("DRS endpoint override"), blank=True)
    iam_endpoint = models.URLField(_("IAM endpoint override"), blank=True)
    auth_method = models.CharField(_("authentication"), max_length=10, choices=AuthMethod.choices)
    language = models.CharField(
        _("DRS language"), max_length=5, choices=Language.choices, default=Language.EN
    )
    enterprise_project_id = models.CharField(_("enterprise project"), max_length=64, blank=True)
    iam_domain = models.CharField(_("IAM account (domain)"), max_length=100, blank=True)
    iam_user = models.CharField(_("IAM user"), max_length=100, blank=True)
    access_key = models.CharField(_("access key id"), max_length=100, blank=True)
    # Fernet tokens; read and write through the properties below.
    password_encrypted = models.TextField(blank=True, editable=False)
    secret_key_encrypted = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = _unique_slug(self.name)
        super().save(*args, **kwargs)

    @property
    def password(self) -> str:
        return crypto.decrypt(self.password_encrypted) if self.password_encrypted else ""

    @password.setter
    def password(self, value: str) -> None:
        self.password_encrypted = crypto.encrypt(value) if value else ""

    @property
    def secret_key(self) -> str:
        return crypto.decrypt(self.secret_key_encrypted) if self.secret_key_encrypted else ""

    @secret_key.setter
    def secret_key(self, value: str) -> None:
        self.secret_key_encrypted = crypto.encrypt(value) if value else ""


def _unique_slug(name: str) -> str:
    base = slugify(name)[:40] or "tenant"
    slug, n = base, 1
    while Tenant.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug
