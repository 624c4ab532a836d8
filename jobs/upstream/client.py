"""Builds the DRS client for a tenant and says in plain words what a failure means."""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from jobs import drs
from jobs.drs import (
    AccessKeyCredentials,
    ClientSettings,
    DrsClient,
    PasswordCredentials,
    endpoints_for,
)
from jobs.tenants import crypto
from jobs.tenants.credentials import stored_credentials_problem
from jobs.tenants.models import Tenant
from jobs.upstream.iam_tokens import SHARED_TOKENS
from jobs.upstream.single_flight import Outcome, attempt

CLOUD_DOMAINS = ("myhuaweicloud.com", "myhuaweicloud.eu", "huaweicloud.com")


class EndpointRefused(drs.RequestRejected):
    """A custom endpoint outside the cloud's domains while custom endpoints are off."""


class CredentialsUnavailable(drs.DrsError):
    """The tenant's configuration cannot make a client: undecryptable secret, unknown region."""


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
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def drs_language() -> str:
    """The X-Language matching the interface language."""
    return "zh-cn" if (get_language() or "").startswith("zh") else "en-us"


def client_settings(deadline: float | None = None) -> ClientSettings:
    return ClientSettings(
        connect_timeout=settings.DRS_CONNECT_TIMEOUT,
        read_timeout=settings.DRS_READ_TIMEOUT,
        deadline=min(settings.DRS_DEADLINE, deadline or settings.DRS_DEADLINE),
    )


def client_for(
    tenant: Tenant, language: str | None = None, deadline: float | None = None
) -> DrsClient:
    """Raises only DrsError subclasses, so callers handle one kind of failure."""
    for url in (tenant.drs_endpoint, tenant.iam_endpoint):
        problem = endpoint_problem(url)
        if problem:
            raise EndpointRefused(problem)
    try:
        aksk = tenant.auth_method == Tenant.AuthMethod.AKSK
        secret = tenant.secret_key if aksk else tenant.password  # decrypted once, here
        if problem := stored_credentials_problem(tenant, secret):
            raise CredentialsUnavailable(
                _("The stored credentials cannot be sent: %(reason)s Edit the tenant to fix them.")
                % {"reason": problem}
            )
        return _build_client(tenant, secret, language, deadline)
    except crypto.UndecryptableSecret as exc:
        raise CredentialsUnavailable(
            _("The stored credentials cannot be decrypted with the configured keys.")
        ) from exc
    except (drs.UnknownRegion, ValueError) as exc:
        raise CredentialsUnavailable(
            _("The tenant's configuration is invalid: %(reason)s") % {"reason": exc}
        ) from exc


def _build_client(
    tenant: Tenant, secret: str, language: str | None, deadline: float | None
) -> DrsClient:
    endpoints = endpoints_for(tenant.region)
    common = {
        "project_id": tenant.project_id,
        "drs_endpoint": tenant.drs_endpoint or endpoints.drs,
        "language": language or tenant.language,
        "settings": client_settings(deadline),
    }
    if tenant.auth_method == Tenant.AuthMethod.AKSK:
        return DrsClient.with_access_key(
            credentials=AccessKeyCredentials(tenant.access_key, secret), **common
        )
    return DrsClient.with_password(
        iam_endpoint=tenant.iam_endpoint or endpoints.iam,
        credentials=PasswordCredentials(tenant.iam_domain, tenant.iam_user, secret),
        cache=SHARED_TOKENS,
        **common,
    )


def check_connection(tenant: Tenant) -> Outcome[int]:
    """Fetch a token or sign a one-job list call: the number of jobs the project holds."""
    return attempt(lambda: client_for(tenant).list_jobs(limit=1).count)
