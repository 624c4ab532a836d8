"""The API gateway in front of DRS: token and AK/SK (`SDK-HMAC-SHA256`) authentication.

Choices where drs-api.md is silent:
- A request carrying X-Auth-Token is judged by the token alone, even if it is also signed.
- A token scoped to another project than the path's is 403 DRS.M00102.
- AK/SK: `aksk_lockout_failures` consecutive failures lock an AK for `aksk_lockout_seconds`
  (5 and 300 s by default, as documented); `reset()` unlocks. A present X-Project-Id must
  equal the path's project id (else 403 DRS.M00102).
"""

from __future__ import annotations

import hmac
import re
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from jobs.drs.signing import (
    DATE_FORMAT,
    canonical_query,
    canonical_request,
    signature,
    string_to_sign,
)
from jobs.simulator.config import SimulatorConfig
from jobs.simulator.faults import FaultSet
from jobs.simulator.iam import Iam
from jobs.simulator.replies import Reply, Request, drs_error, gateway_error

FORBIDDEN = "Insufficient permissions for this project. Grant the DRS permissions and try again."
AK_LOCKED = "AK access failed to reach the limit,forbidden."
_AUTHORIZATION = re.compile(
    r"SDK-HMAC-SHA256\s+Access=(?P<ak>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),"
    r"\s*Signature=(?P<signature>[0-9a-fA-F]+)"
)


def forbidden() -> Reply:
    return drs_error(403, "DRS.M00102", FORBIDDEN)


def _unauthorized(request: Request, detail: str, code: str = "APIG.0301") -> Reply:
    message = f"Incorrect IAM authentication information: {detail}"
    return gateway_error(401, code, message, request.request_id)


class Gateway:
    def __init__(self, config: SimulatorConfig, iam: Iam, faults: FaultSet) -> None:
        self.config = config
        self.iam = iam
        self.faults = faults
        self._lock = threading.Lock()
        self._failures: Counter[str] = Counter()
        self._locked_until: dict[str, float] = {}

    def reset(self) -> None:
        """Forget AK/SK failures and lift lockouts."""
        with self._lock:
            self._failures.clear()
            self._locked_until.clear()

    def locked_keys(self) -> list[str]:
        now = time.time()
        with self._lock:
            return sorted(ak for ak, until in self._locked_until.items() if until > now)

    def authenticate(self, request: Request, project_id: str, job_id: str | None) -> Reply | None:
        """None if the request may reach DRS for `project_id`, else the gateway's refusal."""
        token = request.headers.get("X-Auth-Token")
        if token is not None:
            return self._check_token(request, token.strip(), project_id, job_id)
        if request.headers.get("Authorization"):
            return self._check_signature(request, project_id)
        return _unauthorized(request, "x-auth-token not found")

    def may_change(self, request: Request) -> bool:
        """Whether the (already authenticated) caller may change jobs: not one of
        `config.read_only`."""
        token = request.headers.get("X-Auth-Token")
        if token is not None:
            issued = self.iam.lookup(token.strip())
            return issued is not None and issued.user not in self.config.read_only
        match = _AUTHORIZATION.fullmatch(request.headers.get("Authorization", "").strip())
        return match is not None and match.group("ak") not in self.config.read_only

    def _check_token(
        self, request: Request, token: str, project_id: str, job_id: str | None
    ) -> Reply | None:
        if self.faults.take_expired_token(job_id) is not None:
            return _unauthorized(request, "token expires")
        issued = self.iam.lookup(token)
        if issued is None:
            return _unauthorized(request, "decrypt token fail")
        if issued.expires_at <= time.time():
            return _unauthorized(request, "token expires")
        if issued.project_id != project_id:
            return forbidden()
        return None

    def _check_signature(self, request: Request, project_id: str) -> Reply | None:
        match = _AUTHORIZATION.fullmatch(request.headers.get("Authorization", "").strip())
        if match is None:
            return _unauthorized(request, "verify aksk signature fail, malformed Authorization")
        access_key = match.group("ak")
        secret_key = self.config.access_keys.get(access_key)
        if secret_key is None:
            return _unauthorized(request, "verify aksk signature fail, ak not exist")
        with self._lock:
            locked = self._locked_until.get(access_key, 0.0) > time.time()
        if locked:
            return _unauthorized(request, AK_LOCKED)
        problem = self._signature_problem(request, match, secret_key)
        if problem is not None:
            detail, code = problem
            self._note_failure(access_key)
            return _unauthorized(request, detail, code)
        with self._lock:
            self._failures.pop(access_key, None)
        claimed = request.headers.get("X-Project-Id")
        if claimed is not None and claimed.strip() != project_id:
            return forbidden()
        return None

    def _signature_problem(
        self, request: Request, match: re.Match[str], secret_key: str
    ) -> tuple[str, str] | None:
        """(error detail, code) if the signature is unacceptable, else None."""
        names = [name.strip().lower() for name in match.group("signed").split(";") if name.strip()]
        if "host" not in names or "x-sdk-date" not in names:
            detail = "verify aksk signature fail, SignedHeaders must include host and x-sdk-date"
            return detail, "APIG.0301"
        raw_date = (request.headers.get("X-Sdk-Date") or "").strip()
        try:
            signed_at = datetime.strptime(raw_date, DATE_FORMAT).replace(tzinfo=UTC).timestamp()
        except ValueError:
            return "verify aksk signature fail, invalid x-sdk-date", "APIG.0301"
        skew = self.config.clock_skew_seconds
        if abs(time.time() - signed_at) > skew:
            detail = f"verify aksk signature fail, x-sdk-date is more than {skew}s from server time"
            return detail, "APIG.0301"
        headers = {name: request.headers.get(name, "") for name in names}
        query = canonical_query(parse_qsl(request.query, keep_blank_values=True))
        to_sign, _ = string_to_sign(request.method, request.path, query, headers, request.body)
        if hmac.compare_digest(signature(secret_key, to_sign), match.group("signature").lower()):
            return None
        canonical = canonical_request(request.method, request.path, query, headers, request.body)
        detail = "verify aksk signature fail, canonicalRequest=" + canonical.replace("\n", "|")
        return detail, "APIG.0303"

    def _note_failure(self, access_key: str) -> None:
        with self._lock:
            self._failures[access_key] += 1
            if self._failures[access_key] >= self.config.aksk_lockout_failures:
                self._locked_until[access_key] = time.time() + self.config.aksk_lockout_seconds
                self._failures.pop(access_key)
