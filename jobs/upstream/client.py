"""The DRS client for a tenant: its endpoints (checked by `guard`), credentials, shared IAM token,
and the connection test."""

from __future__ import annotations

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
from jobs.tenants.endpoints import EndpointRefused, endpoint_problem
from jobs.tenants.models import Tenant
from jobs.upstream import connect
from jobs.upstream.iam_tokens import SHARED_TOKENS
from jobs.upstream.single_flight import Outcome, attempt


class CredentialsUnavailable(drs.DrsError):
    """The tenant's configuration cannot make a client: undecryptable secret, unknown region."""


def drs_language() -> str:
    """The X-Language matching the interface language."""
    return "zh-cn" if (get_language() or "").startswith("zh") else "en-us"


def outbound_guard():
    """Entered around each DRS and IAM exchange: every connection is checked where it is made
    (`endpoint_problem` reads a name; this checks the address actually connected to)."""
    return connect.guarded(connect.Policy(allow_private=settings.DRS_ALLOW_CUSTOM_ENDPOINTS))


def client_settings(deadline: float | None = None) -> ClientSettings:
    return ClientSettings(
        connect_timeout=settings.DRS_CONNECT_TIMEOUT,
        read_timeout=settings.DRS_READ_TIMEOUT,
        deadline=min(settings.DRS_DEADLINE, deadline or settings.DRS_DEADLINE),
        guard=outbound_guard,
    )


def client_for(
    tenant: Tenant, language: str | None = None, deadline: float | None = None
) -> DrsClient:
    """The tenant's client, once its endpoints pass the guard and its stored credentials can
    be sent (the secret is decrypted once, here). Raises only DrsError subclasses
    (`EndpointRefused`, `CredentialsUnavailable`), so callers handle one kind of failure."""
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
    """A one-job list call with the tenant's credentials (AK/SK-signed, or with an IAM token,
    logging in when none is shared yet): the outcome's value is the number of jobs the project
    holds, its error why the connection failed."""
    return attempt(lambda: client_for(tenant).list_jobs(limit=1).count)
