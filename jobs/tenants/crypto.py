"""Tenant secrets at rest: Fernet under DASHBOARD_CREDENTIAL_KEYS (first encrypts, all decrypt)."""

from __future__ import annotations

import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.views.decorators.debug import sensitive_variables


class UndecryptableSecret(Exception):
    """No configured key opens this value: the keys changed without a rotation."""


@functools.cache
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        derived = hashlib.sha256(f"credential-key:{secret_key}".encode()).digest()
        keys = (base64.urlsafe_b64encode(derived).decode(),)
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.CREDENTIAL_KEYS), settings.SECRET_KEY)


@sensitive_variables()
def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


@sensitive_variables()
def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise UndecryptableSecret("No configured credential key decrypts this secret") from exc


@sensitive_variables()
def rotate(token: str) -> str:
    """Re-encrypt under the first key."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise UndecryptableSecret("No configured credential key decrypts this secret") from exc
