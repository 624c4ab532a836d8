"""The DRS v5 backup-migration API: `get_job` and `list_jobs`, with retries inside a deadline;
`create_job`, `update_job`, `delete_job` and the job's tags (drs-api.md §10), never retried."""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import requests
from requests.structures import CaseInsensitiveDict

from jobs import __version__
from jobs.drs import errors
from jobs.drs.auth import (
    TOKENS,
    AccessKeyCredentials,
    AkSkAuth,
    Auth,
    OutgoingRequest,
    PasswordCredentials,
    TokenAuth,
    TokenCache,
)
from jobs.drs.deadline import DeadlineAdapter, limit
from jobs.drs.models import JOB_ID, Job, JobPage, Tag
from jobs.drs.signing import canonical_query
from jobs.drs.status import JobStatus

log = logging.getLogger(__name__)

USER_AGENT = f"drs-backup-dashboard/{__version__} python-requests/{requests.__version__}"
LANGUAGES = ("en-us", "zh-cn")
SORT_KEYS = ("name", "db_type", "inst_id", "ip", "created_at", "description", "tag_value")
SORT_DIRS = ("asc", "desc")
MAX_INSTANCE_IDS = 10
MAX_LIMIT = 2000
ERROR_BODY_BYTES = 64 * 1024


def validate_job_id(job_id: str) -> str:
    """Job ids look like UUIDs but are not hex (`…-190c0abjb703`): letters, digits, hyphens."""
    if not isinstance(job_id, str) or not JOB_ID.fullmatch(job_id):
        raise errors.InvalidJobId(
            "A job id has only letters, digits and hyphens, e.g. "
            "0667845a-6291-4e2a-95b0-190c0abjb703"
        )
    return job_id


_ID_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9-])[A-Za-z0-9]{8}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{12}"
    r"(?![A-Za-z0-9-])"
)


def find_job_id(text: str) -> str | None:
    """The job id (UUID-shaped, not necessarily hex) in what a user pasted: the id itself, or a
    console URL or message holding one."""
    match = _ID_IN_TEXT.search(text or "")
    return match.group(0) if match else None


class InvalidFilter(errors.DrsError, ValueError):
    """A list filter was refused before any request was made."""


@dataclass(frozen=True)
class JobFilters:
    """The list endpoint's query parameters (drs-api.md §1). Empty values are not sent."""

    name: str = ""
    status: str = ""
    dbs_instance_ids: tuple[str, ...] = ()
    description: str = ""
    create_at: str = ""
    completed_at: str = ""
    enterprise_project_id: str = ""
    tags: str = ""
    sort_key: str = ""
    sort_dir: str = ""

    def params(self) -> list[tuple[str, str]]:
        status = JobStatus(self.status)
        if status and not status.is_known:
            raise InvalidFilter(f"Unknown status {self.status!r}")
        if len(self.dbs_instance_ids) > MAX_INSTANCE_IDS:
            raise InvalidFilter(f"At most {MAX_INSTANCE_IDS} instance ids")
        if self.sort_key and self.sort_key not in SORT_KEYS:
            raise InvalidFilter(f"Unknown sort key {self.sort_key!r}")
        if self.sort_dir and self.sort_dir not in SORT_DIRS:
            raise InvalidFilter(f"Sort direction is asc or desc, not {self.sort_dir!r}")
        single = {
            "name": self.name,
            "status": str(status),
            "description": self.description,
            "create_at": self.create_at,
            "completed_at": self.completed_at,
            "enterprise_project_id": self.enterprise_project_id,
            "tags": self.tags,
            "sort_key": self.sort_key,
            "sort_dir": self.sort_dir,
        }
        pairs = [(key, value) for key, value in single.items() if value]
        pairs += [("dbs_instance_ids", i) for i in self.dbs_instance_ids if i]
        return pairs


TAG_RESOURCE_TYPE = "backupMigration"  # drs-api.md §10: the v5 tag APIs' type for these jobs


@dataclass(frozen=True)
class Created:
    """A create's answer: the new job's id and DRS's request id."""

    job_id: str
    request_id: str
    status: int


@dataclass(frozen=True)
class Done:
    """An update, delete or tag change DRS accepted (any 2xx; the body is undocumented)."""

    request_id: str
    status: int


@dataclass(frozen=True)
class ClientSettings:
    connect_timeout: float = 3.05
    read_timeout: float = 10.0
    deadline: float = 25.0  # for one call, retries and waits included
    max_attempts: int = 3
    backoff: float = 0.5  # doubled after each failed attempt, with jitter
    throttle_wait: float = 2.0  # 429: drs-api.md says wait 2 to 5 s
    max_body_bytes: int = 8 * 1024 * 1024
    proxies: dict[str, str] = field(default_factory=dict)
    # A context manager factory entered around each HTTP exchange: the outbound guard that
    # checks every connection (jobs/upstream/connect.py); None: unguarded (tests, scripts).
    guard: Callable[[], AbstractContextManager] | None = None


DEFAULT_SETTINGS = ClientSettings()


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    request_id: str
    headers: CaseInsensitiveDict


_sessions: dict[str, requests.Session] = {}
_sessions_lock = threading.Lock()


def session_for(base_url: str) -> requests.Session:
    """One pooled session per endpoint, shared by every client in the process."""
    with _sessions_lock:
        session = _sessions.get(base_url)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # proxies come from ClientSettings, not the environment
            adapter = DeadlineAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            _sessions[base_url] = session
        return session


class Transport:
    """Sends one logical call: auth, timeouts, size cap, retries and the deadline."""

    def __init__(self, base_url: str, settings: ClientSettings = DEFAULT_SETTINGS) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"Not an http(s) endpoint: {base_url!r}")
        self.base_url = f"{parts.scheme}://{parts.netloc}"
        self.host = parts.netloc.rsplit("@", 1)[-1]
        self.settings = settings
        self.session = session_for(self.base_url)
        self.adapter = self.session.get_adapter(self.base_url)

    def send(
        self,
        method: str,
        path: str,
        params: list[tuple[str, str]] | None = None,
        *,
        headers: dict[str, str],
        body: bytes = b"",
        auth: Auth | None = None,
        retry: bool = True,
        deadline: float | None = None,
    ) -> Response:
        """`deadline` (a time.monotonic() value) shortens the call's own when it is part of
        a larger one, e.g. the token fetch inside a DRS call."""
        query = canonical_query(params or [])
        url = self.base_url + path + (f"?{query}" if query else "")
        own = time.monotonic() + self.settings.deadline
        deadline = min(own, deadline) if deadline else own
        attempt, refreshed = 0, False
        while True:
            attempt += 1
            request = OutgoingRequest(method, self.host, path, query, dict(headers), body, deadline)
            if auth:
                auth.authorize(request)
            try:
                response = self._once(request, url, deadline)
            except errors.DrsError as exc:
                error = exc
            else:
                if 200 <= response.status < 300:
                    return response
                error = errors.error_for_response(
                    response.status, response.body.decode("utf-8", "replace"), response.request_id
                )
                if isinstance(error, errors.ParameterError):
                    log.error(
                        "DRS refused our request %s %s?%s (our bug): %s", method, path, query, error
                    )
                if isinstance(error, errors.AuthenticationFailed) and auth and not refreshed:
                    refreshed = True
                    if auth.refresh(request):
                        attempt -= 1
                        continue
            wait = self._wait_before_retry(error, attempt, retry)
            if wait is None or time.monotonic() + wait >= deadline:
                raise error
            log.info("Retrying %s %s in %.1fs after %s", method, path, wait, type(error).__name__)
            time.sleep(wait)

    def _once(self, request: OutgoingRequest, url: str, deadline: float) -> Response:
        remaining = max(deadline - time.monotonic(), 0.05)
        timeout = (
            min(self.settings.connect_timeout, remaining),
            min(self.settings.read_timeout, remaining),
        )
        started = time.monotonic()
        guard = self.settings.guard() if self.settings.guard else nullcontext()
        with guard, limit(deadline) as exchange:
            try:
                with self.adapter.send(
                    _prepared(request, url),
                    stream=True,
                    timeout=timeout,
                    proxies=self.settings.proxies or None,
                ) as raw:
                    request_id = raw.headers.get("X-Request-Id", "")
                    ok = 200 <= raw.status_code < 300
                    cap = self.settings.max_body_bytes if ok else ERROR_BODY_BYTES
                    body = self._read(raw, cap, ok, deadline)
                    exchange.close()  # before the connection goes back to the pool
            except requests.RequestException as exc:
                if reason := _guard_refusal(exc):
                    raise errors.OutboundRefused(
                        f"The connection to {self.host} was refused before it was made: {reason}"
                    ) from exc
                if exchange.expired:
                    raise _deadline_passed(started) from exc
                if isinstance(exc, requests.Timeout):
                    raise errors.UpstreamUnavailable(f"Timed out after {timeout[1]:.1f}s") from exc
                raise errors.UpstreamUnavailable(_connection_problem(exc)) from exc
        if exchange.expired:  # a body read until close would look complete
            raise _deadline_passed(started)
        if 300 <= raw.status_code < 400:  # never followed: it could point at an internal host
            raise errors.BadUpstreamResponse(
                f"DRS answered with a redirect (HTTP {raw.status_code}), which is not followed",
                status=raw.status_code,
                request_id=request_id,
            )
        log.info(
            "DRS %s %s → %s in %.0f ms, request id %s",
            request.method,
            request.path,
            raw.status_code,
            (time.monotonic() - started) * 1000,
            request_id or "-",
        )
        return Response(raw.status_code, body, request_id, CaseInsensitiveDict(raw.headers))

    @staticmethod
    def _read(raw: requests.Response, cap: int, strict: bool, deadline: float) -> bytes:
        """The body up to `cap` bytes: beyond it a 2xx is refused, an error body truncated.
        The read timeout bounds each chunk; `deadline` bounds a body that trickles in."""
        declared = raw.headers.get("Content-Length", "")
        if strict and declared.isdigit() and int(declared) > cap:
            raise errors.BadUpstreamResponse(
                f"Response of {declared} bytes exceeds the {cap}-byte limit",
                status=raw.status_code,
                request_id=raw.headers.get("X-Request-Id", ""),
            )
        chunks, size = [], 0
        for chunk in raw.iter_content(64 * 1024):
            if time.monotonic() > deadline:
                raise errors.UpstreamUnavailable("Timed out while the body was still arriving")
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                if strict:
                    raise errors.BadUpstreamResponse(
                        f"Response exceeds the {cap}-byte limit",
                        status=raw.status_code,
                        request_id=raw.headers.get("X-Request-Id", ""),
                    )
                break
        return b"".join(chunks)[:cap]

    def _wait_before_retry(self, error: errors.DrsError, attempt: int, retry: bool) -> float | None:
        if not retry or attempt >= self.settings.max_attempts:
            return None
        if isinstance(error, errors.Throttled):
            return self.settings.throttle_wait * (1 + random.random() * 0.5)
        if isinstance(error, errors.UpstreamUnavailable):
            return self.settings.backoff * 2 ** (attempt - 1) * (0.75 + random.random() * 0.5)
        return None


def _deadline_passed(started: float) -> errors.UpstreamUnavailable:
    return errors.UpstreamUnavailable(
        f"Timed out after {time.monotonic() - started:.1f}s: the call's deadline passed"
    )


def _prepared(request: OutgoingRequest, url: str) -> requests.PreparedRequest:
    """What `requests.Request(...).prepare()` builds, without its URL, cookie and hook work
    (a third of the client's CPU per call): our URL is already encoded, and this API sets no
    cookies. Sent through the session's adapter, as the session would, minus redirects."""
    prepared = requests.PreparedRequest()
    prepared.method = request.method
    prepared.url = url
    prepared.headers = CaseInsensitiveDict(request.headers)
    if request.body:
        prepared.headers["Content-Length"] = str(len(request.body))
    prepared.body = request.body or None
    prepared.hooks = {"response": []}
    return prepared


def _guard_refusal(exc: BaseException) -> str:
    """The outbound guard's reason (an exception carrying `guard_reason`) in the chain that
    requests and urllib3 wrap around it, or ""."""
    pending, seen = [exc], 0
    while pending and seen < 30:
        current = pending.pop()
        seen += 1
        reason = getattr(current, "guard_reason", "")
        if reason:
            return reason
        pending += [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
        pending += [
            e
            for e in (getattr(current, "reason", None), current.__cause__, current.__context__)
            if isinstance(e, BaseException)
        ]
    return ""


def _connection_problem(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS handshake with DRS failed"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "DRS closed the connection mid-response"
    if isinstance(exc, requests.ConnectionError):
        return "Could not connect to DRS (refused, dropped or unreachable)"
    return f"Request to DRS failed: {type(exc).__name__}"


def _json_object(response: Response) -> tuple[dict, str]:
    text = response.body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        what = "malformed" if isinstance(exc, ValueError) else "too deeply nested"
        raise errors.BadUpstreamResponse(
            f"DRS answered with {what} JSON",
            status=response.status,
            request_id=response.request_id,
        ) from exc
    if not isinstance(data, dict):
        raise errors.BadUpstreamResponse(
            f"DRS answered with a JSON {type(data).__name__}, not an object",
            status=response.status,
            request_id=response.request_id,
        )
    return data, text


class DrsClient:
    def __init__(
        self,
        *,
        project_id: str,
        auth: Auth,
        drs_endpoint: str,
        language: str = "en-us",
        settings: ClientSettings = DEFAULT_SETTINGS,
    ) -> None:
        if not re.fullmatch(r"[A-Za-z0-9-]{1,64}", project_id or ""):
            raise ValueError("A project id has only letters, digits and hyphens")
        self.project_id = project_id
        self.auth = auth
        self.language = _language(language)
        self.transport = Transport(drs_endpoint, settings)

    @classmethod
    def with_password(
        cls,
        *,
        project_id: str,
        drs_endpoint: str,
        iam_endpoint: str,
        credentials: PasswordCredentials,
        language: str = "en-us",
        settings: ClientSettings = DEFAULT_SETTINGS,
        cache: TokenCache = TOKENS,
    ) -> DrsClient:
        iam = Transport(iam_endpoint, settings)

        def post(url: str, body: bytes, deadline: float | None) -> tuple[str, str]:
            response = iam.send(
                "POST",
                urlsplit(url).path,
                headers={
                    "Content-Type": "application/json;charset=utf8",
                    "User-Agent": USER_AGENT,
                },
                body=body,
                deadline=deadline,
            )
            token = response.headers.get("X-Subject-Token", "")
            if not token:
                raise errors.BadUpstreamResponse(
                    "IAM issued no X-Subject-Token",
                    status=response.status,
                    request_id=response.request_id,
                )
            return token, response.body.decode("utf-8", "replace")

        auth = TokenAuth(iam.base_url, credentials, project_id, post, cache)
        return cls(
            project_id=project_id,
            auth=auth,
            drs_endpoint=drs_endpoint,
            language=language,
            settings=settings,
        )

    @classmethod
    def with_access_key(
        cls,
        *,
        project_id: str,
        drs_endpoint: str,
        credentials: AccessKeyCredentials,
        language: str = "en-us",
        settings: ClientSettings = DEFAULT_SETTINGS,
    ) -> DrsClient:
        return cls(
            project_id=project_id,
            auth=AkSkAuth(credentials, project_id),
            drs_endpoint=drs_endpoint,
            language=language,
            settings=settings,
        )

    def get_job(self, job_id: str, *, language: str | None = None) -> Job:
        path = f"{self._jobs_path()}/{quote(validate_job_id(job_id), safe='')}"
        response = self._get(path, [], language)
        data, text = _json_object(response)
        return Job.parse(data, raw_json=text, request_id=response.request_id)

    def list_jobs(
        self,
        filters: JobFilters | None = None,
        *,
        limit: int = 10,
        offset: int = 0,
        language: str | None = None,
    ) -> JobPage:
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidFilter(f"limit must be between 1 and {MAX_LIMIT}")
        if offset < 0:
            raise InvalidFilter("offset must not be negative")
        params = (filters or JobFilters()).params()
        params += [("limit", str(limit)), ("offset", str(offset))]
        try:
            response = self._get(self._jobs_path(), params, language)
        except errors.EmptyResult as empty:  # 422 DRS.M00002 means "no data", not a failure
            return JobPage(0, (), limit, offset, request_id=empty.request_id)
        data, _ = _json_object(response)
        return JobPage.parse(data, limit, offset, request_id=response.request_id)

    # -- changing jobs (drs-api.md §10). None is retried: a create has no idempotency key, and
    # a retried delete or update would answer for the first attempt's effect.

    def create_job(self, body: dict, *, language: str | None = None) -> Created:
        """POST the `CreateOfflineTaskReq` body; 200 `{"job_id": "…"}`."""
        response = self._write("POST", self._jobs_path(), body, language)
        data, _ = _json_object(response)
        job_id = data.get("job_id")
        if not isinstance(job_id, str) or not JOB_ID.fullmatch(job_id):
            raise errors.BadUpstreamResponse(
                "DRS accepted the create but answered no usable job id",
                status=response.status,
                request_id=response.request_id,
            )
        return Created(job_id, response.request_id, response.status)

    def update_job(
        self,
        job_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        language: str | None = None,
    ) -> Done:
        """PUT `{name, description}` (`ModifyOfflineTaskReq`); fields left None are not sent."""
        body = {k: v for k, v in (("name", name), ("description", description)) if v is not None}
        if not body:
            raise ValueError("update_job needs a name or a description")
        response = self._write("PUT", self._job_path(job_id), body, language)
        return Done(response.request_id, response.status)

    def delete_job(self, job_id: str, *, language: str | None = None) -> Done:
        """DELETE a completed job."""
        response = self._write("DELETE", self._job_path(job_id), None, language)
        return Done(response.request_id, response.status)

    def job_tags(self, job_id: str, *, language: str | None = None) -> tuple[Tag, ...]:
        """`GET /v5/{project}/backupMigration/{job_id}/tags` → `{"tags": [{key, value}]}`."""
        response = self._get(self._tags_path(job_id), [], language)
        data, _ = _json_object(response)
        items = data.get("tags") if isinstance(data.get("tags"), list) else []
        return tuple(
            Tag(str(i.get("key") or ""), str(i.get("value") or ""))
            for i in items
            if isinstance(i, dict) and i.get("key")
        )

    def add_tags(self, job_id: str, tags: dict[str, str], *, language: str | None = None) -> Done:
        """`POST …/{job_id}/tags/create` `{"tags": [{key, value}]}` (SDK `batch_create_tags`)."""
        body = {"tags": [{"key": k, "value": v} for k, v in tags.items()]}
        response = self._write("POST", self._tags_path(job_id) + "/create", body, language)
        return Done(response.request_id, response.status)

    def remove_tags(
        self, job_id: str, tags: dict[str, str], *, language: str | None = None
    ) -> Done:
        """`POST …/{job_id}/tags/delete` `{"tags": [{key, value}]}` (SDK `batch_delete_tags`)."""
        body = {"tags": [{"key": k, "value": v} for k, v in tags.items()]}
        response = self._write("POST", self._tags_path(job_id) + "/delete", body, language)
        return Done(response.request_id, response.status)

    def _job_path(self, job_id: str) -> str:
        return f"{self._jobs_path()}/{quote(validate_job_id(job_id), safe='')}"

    def _tags_path(self, job_id: str) -> str:
        project = quote(self.project_id, safe="")
        return f"/v5/{project}/{TAG_RESOURCE_TYPE}/{quote(validate_job_id(job_id), safe='')}/tags"

    def _write(self, method: str, path: str, body: dict | None, language: str | None) -> Response:
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-Language": _language(language or self.language),
            "User-Agent": USER_AGENT,
        }
        data = json.dumps(body, separators=(",", ":")).encode() if body is not None else b""
        try:
            return self.transport.send(
                method, path, [], headers=headers, body=data, auth=self.auth, retry=False
            )
        except errors.PermissionDenied as exc:
            if type(exc) is not errors.PermissionDenied:
                raise  # no DRS role, a wrong project id: their own sentences
            raise errors.ActionNotPermitted(
                "These credentials may not change jobs",
                status=exc.status,
                error_code=exc.error_code,
                error_msg=exc.error_msg,
                request_id=exc.request_id,
            ) from exc

    def _jobs_path(self) -> str:
        return f"/v5/{quote(self.project_id, safe='')}/backup-migration-jobs"

    def _get(self, path: str, params: list[tuple[str, str]], language: str | None) -> Response:
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-Language": _language(language or self.language),
            "User-Agent": USER_AGENT,
        }
        return self.transport.send("GET", path, params, headers=headers, auth=self.auth)


def _language(value: str) -> str:
    lowered = (value or "").lower().replace("_", "-")
    if lowered.startswith("zh"):
        return "zh-cn"
    return "en-us" if lowered not in LANGUAGES else lowered
