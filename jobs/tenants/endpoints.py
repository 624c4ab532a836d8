"""Which DRS/IAM endpoints a tenant may be pointed at, checked where they are typed (form, CLI)
and again when its client is built."""

from __future__ import annotations

import re
import socket
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from jobs import drs
from jobs.lib.addresses import is_public

CLOUD_DOMAINS = ("myhuaweicloud.com", "myhuaweicloud.eu", "huaweicloud.com")


class EndpointRefused(drs.RequestRejected):
    """A tenant endpoint `endpoint_problem` refuses; the message says why."""


SERVICE_HOST = re.compile(
    r"(?:(?:drs|iam)\.[a-z]{2,3}(?:-[a-z]+)+-[0-9]{1,3}|iam)\.(?P<domain>[a-z0-9.-]+)"
)
RESOLVE_CACHE_SECONDS = 60
_resolved: dict[str, tuple[float, list[str]]] = {}


def endpoint_problem(url: str) -> str | None:
    """Why a custom endpoint is refused, or None. Keeps the server from calling internal hosts.

    Unless DRS_ALLOW_CUSTOM_ENDPOINTS is on: https on port 443, no credentials, a host shaped
    `drs.<region>.<domain>`, `iam.<region>.<domain>` or `iam.<domain>` on the cloud's domains,
    and a name that does not resolve to a private, loopback, link-local or otherwise internal
    address."""
    if not url:
        return None
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return _("The endpoint's port is not a valid port number.")
    if settings.DRS_ALLOW_CUSTOM_ENDPOINTS:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme != "https":
        return _("Custom endpoints must use https.")
    if parts.username or parts.password:
        return _("Endpoints must not carry credentials.")
    shape = SERVICE_HOST.fullmatch(host)
    if not shape or shape["domain"] not in CLOUD_DOMAINS or port not in (None, 443):
        return _(
            "Custom endpoints must be drs.<region>.<domain>, iam.<region>.<domain> or "
            "iam.<domain> on the cloud's domains (%(domains)s), on port 443."
        ) % {"domains": ", ".join(CLOUD_DOMAINS)}
    if any(_internal(address) for address in _resolve(host)):
        return _("The endpoint's name resolves to an internal address.")
    return None


def _resolve(host: str) -> list[str]:
    """The host's addresses (briefly cached); none when it does not resolve (the call will
    fail on its own then)."""
    now = time.monotonic()
    cached = _resolved.get(host)
    if cached and now - cached[0] < RESOLVE_CACHE_SECONDS:
        return cached[1]
    try:
        addresses = sorted({info[4][0] for info in socket.getaddrinfo(host, 443)})
    except (OSError, UnicodeError):
        addresses = []
    _resolved[host] = (now, addresses)
    return addresses


def _internal(address: str) -> bool:
    """The outbound guard's own rule (NAT64 and 6to4 forms judged by the IPv4 they embed)."""
    return not is_public(address)
