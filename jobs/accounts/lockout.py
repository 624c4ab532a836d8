"""The sign-in lockout: at most 5 attempts per username (every spelling of it) and 20 per
address in any 15 minutes; each attempt is counted before its password is checked, and a
successful one is given back."""

from __future__ import annotations

import hashlib
import unicodedata

from jobs.lib.counters import WindowedCounter
from jobs.tenants import audit

MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_IP = 20
LOCKOUT_SECONDS = 15 * 60
_TAKES = "_lockout_takes"  # on the request: this attempt's takes, given back if it succeeds


def login_name(username: str) -> str:
    """The username as authentication sees it (the form strips and NFKC-normalises, so
    `ｖｉｅｗｅｒ` signs in as `viewer`), case-folded: one lockout for every spelling."""
    return unicodedata.normalize("NFKC", username.strip()).casefold()[:150]


def _counters(request) -> list[WindowedCounter]:
    username = login_name(request.POST.get("username", ""))
    digest = hashlib.sha256(username.encode("utf-8", "replace")).hexdigest()  # any characters
    ip = audit.client_ip(request) or "unknown"
    return [
        WindowedCounter(
            f"login-attempts:user:{digest}", limit=MAX_FAILURES_PER_USER, seconds=LOCKOUT_SECONDS
        ),
        WindowedCounter(
            f"login-attempts:ip:{ip}", limit=MAX_FAILURES_PER_IP, seconds=LOCKOUT_SECONDS
        ),
    ]


def take_attempt(request) -> bool:
    """Count this attempt before the (slow) password check, atomically: parallel guesses each
    get their own take, so at most the limit are ever checked. False when locked out."""
    takes = [(counter, counter.take()) for counter in _counters(request)]
    setattr(request, _TAKES, [(counter, take) for counter, take in takes if take is not None])
    return all(take is not None for _counter, take in takes)


def give_back_attempt(request) -> None:
    """A successful sign-in does not count as a failure."""
    for counter, take in getattr(request, _TAKES, []):
        counter.give_back(take)
    setattr(request, _TAKES, [])
