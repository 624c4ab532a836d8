"""The DRS API client. Knows nothing of Django: views call it, it returns typed results."""

from jobs.drs.auth import AccessKeyCredentials, PasswordCredentials, TokenCache
from jobs.drs.client import (
    ClientSettings,
    DrsClient,
    InvalidFilter,
    JobFilters,
    find_job_id,
    validate_job_id,
)
from jobs.drs.errors import (
    ApiNotServed,
    AuthenticationFailed,
    BadUpstreamResponse,
    DrsError,
    EmptyResult,
    InvalidJobId,
    InvalidProjectId,
    JobNotFound,
    NoDrsRole,
    ParameterError,
    PermissionDenied,
    RequestRejected,
    RestrictedUser,
    Throttled,
    UpstreamUnavailable,
)
from jobs.drs.models import Job, JobPage, JobSummary, is_terminal, normalise_status
from jobs.drs.regions import REGIONS, Endpoints, UnknownRegion, endpoints_for
from jobs.drs.status import JobStatus
from jobs.drs.walk import JobWalk

__all__ = [
    "REGIONS",
    "AccessKeyCredentials",
    "ApiNotServed",
    "AuthenticationFailed",
    "BadUpstreamResponse",
    "ClientSettings",
    "DrsClient",
    "DrsError",
    "EmptyResult",
    "Endpoints",
    "InvalidFilter",
    "InvalidJobId",
    "InvalidProjectId",
    "Job",
    "JobFilters",
    "JobNotFound",
    "JobPage",
    "JobStatus",
    "JobSummary",
    "JobWalk",
    "NoDrsRole",
    "ParameterError",
    "PasswordCredentials",
    "PermissionDenied",
    "RequestRejected",
    "RestrictedUser",
    "Throttled",
    "TokenCache",
    "UnknownRegion",
    "UpstreamUnavailable",
    "endpoints_for",
    "find_job_id",
    "is_terminal",
    "normalise_status",
    "validate_job_id",
]
