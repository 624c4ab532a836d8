"""Who may still sign in with a local password once single sign-on is the way in.

LOCAL_PASSWORDS=off turns passwords off for everyone but the usernames in LOCAL_PASSWORD_USERS
(a break-glass superuser, for when the identity provider is down). Compared as the sign-in form
sees names (NFKC, case-folded), so no other spelling slips past.
"""

from __future__ import annotations

import unicodedata

from django.conf import settings


def _name(username: str) -> str:
    return unicodedata.normalize("NFKC", (username or "").strip()).casefold()


def local_password_allowed(username: str) -> bool:
    if settings.LOCAL_PASSWORDS:
        return True
    return _name(username) in {_name(name) for name in settings.LOCAL_PASSWORD_USERS}
