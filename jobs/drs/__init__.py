"""The DRS API client. Knows nothing of Django: views call it, it returns typed results."""

from .auth import AccessKeyCredentials, PasswordCredentials, TokenCache
from .client import (
    ClientSettings,
    DrsClient,
    InvalidFilter,
    JobFilters,
    find_job_id,
    validate_job_id,
)
from .errors import (
    AuthenticationFailed,
    BadUpstreamResponse,
    DrsError,
    InvalidJobId,
    JobNotFound,
    PermissionDenied,
    RequestRejected,
    Throttled,
    UpstreamUnavailable,
)
from .models import Job, JobPage, JobSummary, is_terminal, normalise_status
from .regions import REGIONS, Endpoints, UnknownRegion, endpoints_for
from .status import JobStatus

__all__ = [
    "REGIONS",
    "AccessKeyCredentials",
    "AuthenticationFailed",
    "BadUpstreamResponse",
    "ClientSettings",
    "DrsClient",
    "DrsError",
    "Endpoints",
    "InvalidFilter",
    "InvalidJobId",
    "Job",
    "JobFilters",
    "JobNotFound",
    "JobPage",
    "JobStatus",
    "JobSummary",
    "PasswordCredentials",
    "PermissionDenied",
    "RequestRejected",
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
