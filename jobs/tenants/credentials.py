"""What a tenant's credentials may hold, checked where they are typed (form, CLI).

The access key travels in an HTTP header (Latin-1 at best) and the secret key signs requests: a
pasted `€` or zero-width space there used to fail deep inside the HTTP library, on every page of
the tenant. Messages never repeat the value.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ACCESS_KEY_MAX = 64
SECRET_KEY_MAX = 128
PASSWORD_MAX = 128
NAME_MAX = 64

ACCESS_KEY = re.compile(r"[A-Z0-9]+")
PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")
# Control (Cc), format (Cf: zero-width spaces, bidi controls), surrogates, line/paragraph
# separators and unassigned code points: never part of a real credential.
INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _invisible(value: str) -> bool:
    return any(unicodedata.category(ch) in INVISIBLE for ch in value)


def validate_access_key(value: str) -> None:
    if len(value) > ACCESS_KEY_MAX:
        raise ValidationError(
            _("An access key id has at most %(max)d characters."), params={"max": ACCESS_KEY_MAX}
        )
    if value and not ACCESS_KEY.fullmatch(value):
        raise ValidationError(
            _("An access key id has only capital letters A–Z and digits; check what was pasted.")
        )


def validate_secret_key(value: str) -> None:
    if len(value) > SECRET_KEY_MAX:
        raise ValidationError(
            _("A secret access key has at most %(max)d characters."), params={"max": SECRET_KEY_MAX}
        )
    if value and not PRINTABLE_ASCII.fullmatch(value):
        raise ValidationError(
            _(
                "A secret access key has only letters, digits and ASCII punctuation, no spaces; "
                "check what was pasted."
            )
        )


def validate_password(value: str) -> None:
    if len(value) > PASSWORD_MAX:
        raise ValidationError(
            _("An IAM password has at most %(max)d characters."), params={"max": PASSWORD_MAX}
        )
    if _invisible(value):
        raise ValidationError(
            _("The password holds control or invisible characters; check what was pasted.")
        )


def validate_name(value: str) -> None:
    """IAM account (domain) and user names."""
    if len(value) > NAME_MAX:
        raise ValidationError(_("At most %(max)d characters."), params={"max": NAME_MAX})
    if _invisible(value):
        raise ValidationError(_("Holds control or invisible characters; check what was pasted."))


def stored_credentials_problem(tenant, secret: str) -> str | None:
    """For tenants saved before these checks: why their credentials (`secret` being the
    decrypted password or secret key) cannot be sent, or None."""
    checks = [
        (validate_access_key, tenant.access_key),
        (validate_name, tenant.iam_domain),
        (validate_name, tenant.iam_user),
    ]
    check_secret = validate_secret_key if tenant.auth_method == "aksk" else validate_password
    checks.append((check_secret, secret))
    for check, value in checks:
        try:
            check(value or "")
        except ValidationError as error:
            return " ".join(error.messages)
    return None
