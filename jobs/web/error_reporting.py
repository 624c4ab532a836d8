"""What Django's error reports (the DEBUG page, the admin e-mails) may show: never a secret.

Django's own filter hides sensitive variables and POST parameters only with DEBUG off, and it
cannot know that every frame of an outbound DRS/IAM call holds a password, a token or a signed
request. This one is active with DEBUG on too, and hides:

- auth headers, cookies and secret-looking names in request.META, cookies and settings
  (database and cache URLs included: they may carry passwords);
- every POST parameter named like a secret, besides those marked with sensitive_post_parameters;
- every local variable of frames in the modules that handle secrets or raw HTTP (the DRS client,
  requests, urllib3, http.client, ssl, crypto), of frames below a sensitive_variables() function,
  and anywhere else the locals named like a secret or holding a request, credentials or a token.
"""

from __future__ import annotations

import re

from django.views.debug import SafeExceptionReporterFilter

from jobs.drs.auth import AccessKeyCredentials, OutgoingRequest, PasswordCredentials

SECRET_NAMES = re.compile(
    r"API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|COOKIE|CREDENTIAL|SESSION|CSRF|\bSK\b|_SK\b"
    r"|DATABASE|REDIS|LOCATION|_URL|DSN|PRIVATE|SUBJECT|BODY|PAYLOAD|HEADERS?\b",
    flags=re.IGNORECASE,
)
# Frames of these modules hold request bodies, auth headers, tokens or plaintext secrets.
SECRET_MODULES = (
    "jobs.drs",
    "jobs.tenants.crypto",
    "requests",
    "urllib3",
    "http.client",
    "ssl",
    "socket",
    "cryptography",
    "hmac",
    "hashlib",
)
SECRET_TYPES = (OutgoingRequest, PasswordCredentials, AccessKeyCredentials)
TOKEN_LIKE = re.compile(r"MII[A-Za-z0-9_+/=-]{100,}")  # IAM tokens


def _secret_module(name: str) -> bool:
    return any(name == m or name.startswith(m + ".") for m in SECRET_MODULES)


class SecretSafeExceptionReporterFilter(SafeExceptionReporterFilter):
    hidden_settings = SECRET_NAMES

    def is_active(self, request) -> bool:
        return True  # with DEBUG on too: a viewer may be the one who sees the page

    def get_post_parameters(self, request):
        if request is None:
            return {}
        cleansed = super().get_post_parameters(request).copy()
        for name in cleansed:
            if self.hidden_settings.search(name):
                cleansed[name] = self.cleansed_substitute
        return cleansed

    def cleanse_special_types(self, request, value):
        value = super().cleanse_special_types(request, value)
        return self.cleanse_value(value)

    def cleanse_value(self, value, depth: int = 0):
        """Credentials, outgoing requests and tokens become stars; containers are searched."""
        if depth > 4:
            return value
        try:
            if isinstance(value, SECRET_TYPES) or _secret_module(type(value).__module__ or ""):
                return self.cleansed_substitute
            if isinstance(value, str | bytes) and TOKEN_LIKE.search(
                value if isinstance(value, str) else value.decode("latin-1")
            ):
                return self.cleansed_substitute
            if isinstance(value, dict):
                return {
                    k: self.cleansed_substitute
                    if isinstance(k, str) and self.hidden_settings.search(k)
                    else self.cleanse_value(v, depth + 1)
                    for k, v in value.items()
                }
            if isinstance(value, list | tuple | set | frozenset):
                return type(value)(self.cleanse_value(v, depth + 1) for v in value)
        except Exception:  # a strange object must not break the error page
            return self.cleansed_substitute
        return value

    def get_traceback_frame_variables(self, request, tb_frame):
        variables = super().get_traceback_frame_variables(request, tb_frame)
        if _secret_module(tb_frame.f_globals.get("__name__", "")):
            return [(name, self.cleansed_substitute) for name, _value in variables]
        return [
            (name, self.cleansed_substitute if self.hidden_settings.search(name) else value)
            for name, value in variables
        ]
