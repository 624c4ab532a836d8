"""Builds the DRS client for a tenant, with the timeouts from settings."""

from __future__ import annotations

from django.conf import settings

from .drs import AccessKeyCredentials, ClientSettings, DrsClient, PasswordCredentials, endpoints_for
from .models import Tenant


def client_settings() -> ClientSettings:
    return ClientSettings(
        connect_timeout=settings.DRS_CONNECT_TIMEOUT,
        read_timeout=settings.DRS_READ_TIMEOUT,
        deadline=settings.DRS_DEADLINE,
    )


def client_for(tenant: Tenant, language: str | None = None) -> DrsClient:
    endpoints = endpoints_for(tenant.region)
    common = {
        "project_id": tenant.project_id,
        "drs_endpoint": tenant.drs_endpoint or endpoints.drs,
        "language": language or tenant.language,
        "settings": client_settings(),
    }
    if tenant.auth_method == Tenant.AuthMethod.AKSK:
        return DrsClient.with_access_key(
            credentials=AccessKeyCredentials(tenant.access_key, tenant.secret_key), **common
        )
    return DrsClient.with_password(
        iam_endpoint=tenant.iam_endpoint or endpoints.iam,
        credentials=PasswordCredentials(tenant.iam_domain, tenant.iam_user, tenant.password),
        **common,
    )
