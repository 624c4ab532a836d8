"""The sign-in lockout: 5 failures per username (every spelling of it), 20 per address, for
15 minutes; each attempt is counted before its password is checked."""

from __future__ import annotations

import contextlib
import hashlib
import unicodedata

from django.core.cache import cache

from jobs.tenants import audit

MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_IP = 20
LOCKOUT_SECONDS = 15 * 60


def login_name(username: str) -> str:
    """The username as authentication sees it (the form strips and NFKC-normalises, so
    `ｖｉｅｗｅｒ` signs in as `viewer`), case-folded: one lockout for every spelling."""
    return unicodedata.normalize("NFKC", username.strip()).casefold()[:150]


def _keys(request) -> list[tuple[str, int]]:
    username = login_name(request.POST.get("username", ""))
    digest = hashlib.sha256(username.encode("utf-8", "replace")).hexdigest()  # any characters
    ip = audit.client_ip(request) or "unknown"
    return [(f"login-attempts:user:{digest}", MAX_FAILURES_PER_USER),
            (f"login-attempts:ip:{ip}", MAX_FAILURES_PER_IP)]  # fmt: skip


def take_attempt(request) -> bool:
    """Count this attempt before the (slow) password check, atomically: parallel guesses each
    get their own number, so at most the limit are ever checked. False when locked out."""
    allowed = True
    for key, limit in _keys(request):
        cache.add(key, 0, LOCKOUT_SECONDS)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, LOCKOUT_SECONDS)
            count = 1
        allowed = allowed and count <= limit
    return allowed


def give_back_attempt(request) -> None:
    """A successful sign-in does not count as a failure."""
    for key, _limit in _keys(request):
        with contextlib.suppress(ValueError):  # expired meanwhile
            cache.decr(key)
