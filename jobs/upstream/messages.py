"""What a DRS failure means, in the reader's language: one table, read at render time.

Errors travel (and are cached) as `DrsError`s; they become sentences only here, so a cached
failure reads in Chinese for a Chinese reader and in English for an English one.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jobs import drs
from jobs.tenants.endpoints import EndpointRefused
from jobs.tenants.models import Tenant
from jobs.upstream.client import CredentialsUnavailable
from jobs.upstream.single_flight import Outcome, WaitedTooLong

Sentence = Callable[[drs.DrsError, "Tenant | None"], str]


def _uses_access_keys(tenant: Tenant | None) -> bool:
    return tenant is not None and tenant.auth_method == Tenant.AuthMethod.AKSK


def _credentials_refused(error: drs.DrsError, tenant: Tenant | None) -> str:
    if _uses_access_keys(tenant):
        return _(
            "The gateway refused the AK/SK signature: check the access key, the secret key "
            "and this server's clock."
        )
    return _("IAM or DRS refused the credentials: check the account, user and password.")


def _unavailable(error: drs.DrsError, tenant: Tenant | None) -> str:
    if error.status:
        return _("DRS is unavailable: it answered HTTP %(status)d (%(reason)s).") % {
            "status": error.status,
            "reason": error.error_msg,
        }
    return _("Could not reach the endpoint: %(reason)s.") % {"reason": error.error_msg}


def _not_permitted(error: drs.DrsError) -> str:
    missing = getattr(error, "missing_permission", "")
    if missing:
        return _(
            "These credentials may not change jobs: DRS says the IAM user lacks the permission "
            "%(permission)s."
        ) % {"permission": missing}
    return _(
        "These credentials may not change jobs: DRS refused the change for lack of permission "
        "(%(reason)s). Grant the IAM user DRS write access (e.g. DRS FullAccess) or keep "
        "actions off for this tenant."
    ) % {"reason": error.error_msg}


# Most specific first: the first class the error is an instance of gives the sentence.
TABLE: list[tuple[type[drs.DrsError], Sentence]] = [
    (EndpointRefused, lambda e, t: str(e.error_msg)),
    (
        drs.OutboundRefused,
        lambda e, t: _(
            "The connection was refused before it was made: the endpoint's address is internal "
            "(private, loopback, link-local or reserved). Custom endpoints on internal "
            "addresses need DRS_ALLOW_CUSTOM_ENDPOINTS=1."
        ),
    ),
    (CredentialsUnavailable, lambda e, t: str(e.error_msg)),
    (WaitedTooLong, lambda e, t: _("Timed out waiting for another refresh of the same data.")),
    (drs.JobNotFound, lambda e, t: _("DRS has no job with this id in this tenant's project.")),
    (
        drs.InvalidJobId,
        lambda e, t: _("This is not a DRS job id: a job id has only letters, digits and hyphens."),
    ),
    (drs.InvalidFilter, lambda e, t: str(e.error_msg)),
    (drs.AuthenticationFailed, _credentials_refused),
    (
        drs.NoDrsRole,
        lambda e, t: _("These credentials have no DRS role: grant the IAM user a DRS policy."),
    ),
    (
        drs.InvalidProjectId,
        lambda e, t: _("The project id is not valid for these credentials: check the project id."),
    ),
    (drs.ActionNotPermitted, lambda e, t: _not_permitted(e)),
    (
        drs.PermissionDenied,
        lambda e, t: _(
            "The credentials work but lack DRS permissions for this project: check the project "
            "id and the user's DRS policies."
        ),
    ),
    (
        drs.Throttled,
        lambda e, t: _("The API gateway is throttling these credentials; try again in a minute."),
    ),
    (drs.UpstreamUnavailable, _unavailable),
    (
        drs.ApiNotServed,
        lambda e, t: _(
            "This region does not serve the DRS v5 backup-migration API (only cn-south-2 and "
            "cn-south-4 are documented to): check the region or the endpoint."
        ),
    ),
    (
        drs.RestrictedUser,
        lambda e, t: (
            _("DRS says this IAM user is restricted: %(reason)s") % {"reason": e.error_msg}
        ),
    ),
    (
        drs.ParameterError,
        lambda e, t: (
            _(
                "DRS refused a parameter of our request (a bug on our side, please report it): "
                "%(reason)s"
            )
            % {"reason": e.error_msg}
        ),
    ),
    (
        drs.BadUpstreamResponse,
        lambda e, t: (
            _("The endpoint answered with something that is not the DRS API: %(reason)s.")
            % {"reason": e.error_msg}
        ),
    ),
    (
        drs.DrsError,
        lambda e, t: _("DRS refused the request: %(reason)s") % {"reason": e.error_msg},
    ),
]


def explain(error: drs.DrsError, tenant: Tenant | None = None) -> str:
    """One plain sentence on what went wrong and what to check."""
    for kind, sentence in TABLE:
        if isinstance(error, kind):
            return sentence(error, tenant)
    return str(error)


def reference(error: drs.DrsError) -> str:
    """`[DRS.10000010] (request id …)`: what a support ticket needs."""
    parts = []
    if error.error_code:
        parts.append(f"[{error.error_code}]")
    elif error.status:
        parts.append(f"[HTTP {error.status}]")
    if error.request_id:
        parts.append(_("(request id %(id)s)") % {"id": error.request_id})
    return " ".join(parts)


def describe(error: drs.DrsError, tenant: Tenant | None = None) -> str:
    """The plain sentence with its references, for one line of text (CLI, exports, tests)."""
    return f"{explain(error, tenant)} {reference(error)}".strip()


def connection_message(outcome: Outcome[int], tenant: Tenant) -> str:
    """What a connection test found, in one line."""
    if outcome.error is not None:
        return describe(outcome.error, tenant)
    message = ngettext(
        "Connected: %(count)d job visible in this project.",
        "Connected: %(count)d jobs visible in this project.",
        outcome.value,
    ) % {"count": outcome.value}
    if not tenant.drs_endpoint and not _v5_documented(tenant.region):
        message += " " + _(
            "This region is not documented to serve the v5 API, but it answered: it works."
        )
    return message


def _v5_documented(region: str) -> bool:
    try:
        return drs.endpoints_for(region).v5_documented
    except drs.UnknownRegion:
        return False
