"""The DRS simulator: IAM password tokens, AK/SK verification, the backup-migration job API,
injected faults and loopback /_sim/ controls, over real HTTP (stdlib only, no Django).

Choices where drs-api.md is silent:
- IAM scope by project name accepts `region` or an `other_projects` name; an unknown project
  is 400 with IAM's nested error body. Tokens for `other_projects` are valid but get 403.
- A request carrying X-Auth-Token is judged by the token alone, even if it is also signed.
- AK/SK: 5 consecutive failures lock an AK for 5 minutes (reset_counters() unlocks).
  A present X-Project-Id must equal the path's project id (else 403 DRS.M00102).
- Paths are matched exactly (no trailing slash); other methods on job paths are 404 APIG.0101.
- List filter semantics: see the store module's docstring.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import re
import secrets
import sys
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

from jobs.drs.signing import (
    DATE_FORMAT,
    canonical_query,
    canonical_request,
    signature,
    string_to_sign,
)

from . import faults as fault_kinds
from .faults import Fault, FaultSet, Reply, gateway_error, json_reply, new_fault
from .seed import build_seed as build_seed_jobs
from .seed import live_job
from .store import TERMINAL_OUTCOMES, InvalidParameter, JobStore, parse_list_query

DEMO_PROJECT_ID = "054ba152d480d55b2f5dc0069e7ddef0"
DEMO_ACCESS_KEY = "DEMOAKSIMULATOR00001"
DEMO_SECRET_KEY = "demoSKsimulatorR7vQ2mX9kL4pN8wT3yZ6bC1dq"  # noqa: S105  (demo value)
API_NOT_FOUND = "The API does not exist or has not been published in the environment"
JOB_NOT_FOUND = "Job does not exist, please check job ID."
FORBIDDEN = "Insufficient permissions for this project. Grant the DRS permissions and try again."
AK_LOCKED = "AK access failed to reach the limit,forbidden."
_JOBS_PATH = re.compile(r"/v5/(?P<project>[^/]+)/backup-migration-jobs(?:/(?P<job>[^/]+))?")
_AUTHORIZATION = re.compile(
    r"SDK-HMAC-SHA256\s+Access=(?P<ak>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),"
    r"\s*Signature=(?P<signature>[0-9a-fA-F]+)"
)
_LIVE_FIELDS = {
    "base_info": ("name", "engine_type", "description", "enterprise_project_id", "tags"),
    "target_db_info": ("target_instance_id", "ms_file_stream_status", "file_id"),
    "backup_info": ("file_source", "bucket_name", "file_info"),
    "options": (
        "is_cover",
        "is_default_restore",
        "is_last_backup",
        "is_precheck",
        "is_delete_backup_file",
        "recovery_mode",
        "db_names",
        "reset_db_name_map",
        "consistency_check_mode",
    ),
}


def _demo_users() -> list[tuple[str, str, str]]:
    return [("demo-domain", "demo-user", "demo-Passw0rd!")]


@dataclass
class SimulatorConfig:
    project_id: str = DEMO_PROJECT_ID
    region: str = "ap-southeast-3"  # the project name IAM reports for project_id
    iam_users: list[tuple[str, str, str]] = field(default_factory=_demo_users)  # domain, user, pw
    access_keys: dict[str, str] = field(default_factory=lambda: {DEMO_ACCESS_KEY: DEMO_SECRET_KEY})
    # Other projects IAM will scope tokens to; DRS answers them 403 DRS.M00102.
    other_projects: dict[str, str] = field(
        default_factory=lambda: {"cn-south-2": "0b4c7e2f9a8d4f6e8c1b3a5d7e9f0c2a"}
    )
    token_ttl_seconds: int = 86400
    bulk_jobs: int = 300
    live_jobs: int = 3
    random_seed: int = 7
    clock_skew_seconds: int = 900
    seed_faults: bool = True  # demo-fault-slow (delay) and demo-fault-broken (missing_fields)
    slow_job_delay_seconds: float = 1.5
    aksk_lockout_failures: int = 5
    aksk_lockout_seconds: int = 300
    log_requests: bool = False


@dataclass
class Request:
    method: str
    path: str  # raw, as on the request line, without the query
    query: str  # raw
    headers: Message
    body: bytes
    request_id: str


@dataclass
class IssuedToken:
    project_id: str
    user: str
    domain: str
    expires_at: float


def _iso_micro(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _opaque_token() -> str:
    """Shaped like a real IAM token: a long base64url string starting with MII."""
    return "MII" + secrets.token_urlsafe(1200)


def _stable_id(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:32]


def _iam_error(status: int, message: str, title: str) -> Reply:
    return json_reply(status, {"error": {"code": status, "message": message, "title": title}})


def _drs_error(status: int, code: str, message: str) -> Reply:
    return json_reply(status, {"error_code": code, "error_msg": message})


def _forbidden() -> Reply:
    return _drs_error(403, "DRS.M00102", FORBIDDEN)


def _route(method: str, path: str) -> tuple[str, str | None] | None:
    match = _JOBS_PATH.fullmatch(path)
    if match is None or method != "GET":
        return None
    job = match.group("job")
    return unquote(match.group("project")), unquote(job) if job else None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64
    simulator: Simulator


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # one response = headers + body without a 40 ms ACK wait
    server_version = "api-gateway"
    sys_version = ""
    timeout = 60  # idle keep-alive connections
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.simulator.config.log_requests:
            super().log_message(format, *args)

    def _serve(self) -> None:
        request_id = secrets.token_hex(16)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._write(_drs_error(400, "DRS.M00007", "Invalid Content-Length."), request_id)
            return
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        request = Request(self.command, path, query, self.headers, body, request_id)
        try:
            reply = self.server.simulator.handle(request)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            reply = _drs_error(500, "DRS.10000001", "Failed.")
        self._write(reply, request_id)

    def _write(self, reply: Reply, request_id: str) -> None:
        if reply.drop:
            self.close_connection = True
            return
        self.send_response(reply.status)
        if reply.content_type:
            self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("X-Request-Id", request_id)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class Simulator:
    """Owns the job store, the faults and the HTTP server (bound on construction)."""

    def __init__(
        self, config: SimulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or SimulatorConfig()
        self.store = JobStore()
        self.faults = FaultSet()
        self.tokens_issued = 0
        self._lock = threading.Lock()
        self._tokens: dict[str, IssuedToken] = {}
        self._calls: Counter[str] = Counter()
        self._languages: Counter[str] = Counter()
        self._aksk_failures: Counter[str] = Counter()
        self._locked_until: dict[str, float] = {}
        self._rng = random.Random(self.config.random_seed + 1)
        self._seed()
        self._server = _Server((host, port), _Handler)
        self._server.simulator = self
        self._thread: threading.Thread | None = None

    # --- lifecycle --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Simulator:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="drs-simulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def serve_forever(self) -> None:
        try:
            self._server.serve_forever(poll_interval=0.5)
        finally:
            self._server.server_close()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def describe(self) -> str:
        """A banner with the URL and the demo credentials (printing them is intended)."""
        lines = [f"DRS simulator on {self.url}", f"  project id: {self.config.project_id}"]
        lines.append(f"  region (IAM project name): {self.config.region}")
        for domain, user, password in self.config.iam_users:
            lines.append(f"  IAM password: domain={domain} user={user} password={password}")
        for access_key, secret_key in self.config.access_keys.items():
            lines.append(f"  AK/SK: {access_key} / {secret_key}")
        lines.append(f"  jobs: {len(self.store)}; controls: {self.url}/_sim/state")
        return "\n".join(lines)

    # --- programmatic control ---------------------------------------------------------------

    def add_live_job(self, duration_seconds: float, outcome: str = "SUCCESS", **fields: Any) -> str:
        """Add a job that is TRANSFERRING now and reaches `outcome` after `duration_seconds`.

        `fields` override the API shape: section keys (name, description, target_instance_id,
        recovery_mode, ...), whole sections as dicts, instance_name, new_db_names, error_log, id.
        """
        outcome = str(outcome).strip().upper()
        if outcome not in TERMINAL_OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(TERMINAL_OUTCOMES)}")
        duration = float(duration_seconds)
        if duration < 0:
            raise ValueError("duration_seconds must be >= 0")
        identifier = fields.pop("id", None) or fields.pop("job_id", None)
        error_log = fields.pop("error_log", None)
        with self._lock:
            job = live_job(
                self._rng,
                time.time(),
                duration,
                outcome,
                identifier=identifier,
                error_log=error_log,
            )
        _apply_fields(job.data, fields)
        return self.store.add(job)

    def set_fault(
        self, kind: str, target: str = "*", count: int | None = None, **params: Any
    ) -> Fault:
        return self.faults.add(new_fault(kind, target, count, **params))

    def clear_faults(self) -> None:
        self.faults.clear()

    def expire_tokens(self) -> int:
        now = time.time()
        with self._lock:
            for token in self._tokens.values():
                token.expires_at = min(token.expires_at, now - 1)
            return len(self._tokens)

    def calls(self, path_prefix: str = "") -> int:
        with self._lock:
            return sum(n for path, n in self._calls.items() if path.startswith(path_prefix))

    def languages(self) -> dict[str, int]:
        """DRS requests counted by their X-Language header ("" when absent)."""
        with self._lock:
            return dict(self._languages)

    def reset_counters(self) -> None:
        """Zero the call and token counters and lift AK lockouts."""
        with self._lock:
            self._calls.clear()
            self._languages.clear()
            self.tokens_issued = 0
            self._aksk_failures.clear()
            self._locked_until.clear()

    def state(self) -> dict[str, Any]:
        with self._lock:
            now = time.time()
            calls = dict(self._calls)
            active = sum(1 for t in self._tokens.values() if t.expires_at > now)
            locked = sorted(ak for ak, until in self._locked_until.items() if until > now)
            issued = self.tokens_issued
        return {
            "url": self.url,
            "project_id": self.config.project_id,
            "region": self.config.region,
            "jobs": len(self.store),
            "calls": sum(calls.values()),
            "calls_by_path": calls,
            "tokens_issued": issued,
            "tokens_active": active,
            "locked_access_keys": locked,
            "faults": self.faults.snapshot(),
        }

    # --- request handling -------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        if request.path.startswith("/_sim/"):
            return self._control(request)
        if request.path == "/v3/auth/tokens" and request.method == "POST":
            return self._issue_token(request)
        route = _route(request.method, request.path)
        if route is None:
            return gateway_error(404, "APIG.0101", API_NOT_FOUND, request.request_id)
        project_id, job_id = route
        with self._lock:
            self._calls[request.path] += 1
            self._languages[request.headers.get("X-Language", "")] += 1
        denied = self._authenticate(request, project_id, job_id)
        if denied is not None:
            return denied
        if project_id != self.config.project_id:
            return _forbidden()
        delay, fault = self.faults.take(job_id)
        if delay:
            time.sleep(delay)
        status, payload = self._answer(request, job_id)
        if fault is None:
            return json_reply(status, payload)
        return fault_kinds.apply(fault, status, payload, job_id, request.request_id)

    def _answer(self, request: Request, job_id: str | None) -> tuple[int, Any]:
        if job_id is not None:
            job = self.store.get(job_id)
            if job is None:
                return 400, {"error_code": "DRS.10000010", "error_msg": JOB_NOT_FOUND}
            return 200, job
        try:
            query = parse_list_query(parse_qsl(request.query, keep_blank_values=True))
        except InvalidParameter as exc:
            return 400, {"error_code": "DRS.M00007", "error_msg": str(exc)}
        count, jobs = self.store.list(query)
        return 200, {"count": count, "jobs": jobs}

    # --- authentication ---------------------------------------------------------------------

    def _authenticate(self, request: Request, project_id: str, job_id: str | None) -> Reply | None:
        token = request.headers.get("X-Auth-Token")
        if token is not None:
            return self._check_token(request, token.strip(), project_id, job_id)
        if request.headers.get("Authorization"):
            return self._check_signature(request, project_id)
        return self._unauthorized(request, "x-auth-token not found")

    def _unauthorized(self, request: Request, detail: str, code: str = "APIG.0301") -> Reply:
        message = f"Incorrect IAM authentication information: {detail}"
        return gateway_error(401, code, message, request.request_id)

    def _check_token(
        self, request: Request, token: str, project_id: str, job_id: str | None
    ) -> Reply | None:
        if self.faults.take_expired_token(job_id) is not None:
            return self._unauthorized(request, "token expires")
        with self._lock:
            issued = self._tokens.get(token)
        if issued is None:
            return self._unauthorized(request, "decrypt token fail")
        if issued.expires_at <= time.time():
            return self._unauthorized(request, "token expires")
        if issued.project_id != project_id:
            return _forbidden()
        return None

    def _check_signature(self, request: Request, project_id: str) -> Reply | None:
        match = _AUTHORIZATION.fullmatch(request.headers.get("Authorization", "").strip())
        if match is None:
            return self._unauthorized(
                request, "verify aksk signature fail, malformed Authorization"
            )
        access_key = match.group("ak")
        secret_key = self.config.access_keys.get(access_key)
        if secret_key is None:
            return self._unauthorized(request, "verify aksk signature fail, ak not exist")
        with self._lock:
            locked = self._locked_until.get(access_key, 0.0) > time.time()
        if locked:
            return self._unauthorized(request, AK_LOCKED)
        problem = self._signature_problem(request, match.group("signed"), secret_key, match)
        if problem is not None:
            detail, code = problem
            self._note_failure(access_key)
            return self._unauthorized(request, detail, code)
        with self._lock:
            self._aksk_failures.pop(access_key, None)
        claimed = request.headers.get("X-Project-Id")
        if claimed is not None and claimed.strip() != project_id:
            return _forbidden()
        return None

    def _signature_problem(
        self, request: Request, signed: str, secret_key: str, match: re.Match[str]
    ) -> tuple[str, str] | None:
        """(error detail, code) if the signature is unacceptable, else None."""
        names = [name.strip().lower() for name in signed.split(";") if name.strip()]
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
            self._aksk_failures[access_key] += 1
            if self._aksk_failures[access_key] >= self.config.aksk_lockout_failures:
                self._locked_until[access_key] = time.time() + self.config.aksk_lockout_seconds
                self._aksk_failures.pop(access_key)

    # --- IAM --------------------------------------------------------------------------------

    def _issue_token(self, request: Request) -> Reply:
        try:
            auth = json.loads(request.body)["auth"]
            methods = auth["identity"]["methods"]
            user = auth["identity"]["password"]["user"]
            name, password, domain = user["name"], user["password"], user["domain"]["name"]
            scope = auth["scope"]["project"]
        except (ValueError, KeyError, TypeError):
            return _iam_error(400, "The request body is invalid.", "Bad Request")
        credentials = (domain, name, password)
        if not isinstance(methods, list) or "password" not in methods:
            return _iam_error(400, "The request body is invalid.", "Bad Request")
        if not all(isinstance(part, str) for part in credentials):
            return _iam_error(400, "The request body is invalid.", "Bad Request")
        if credentials not in {tuple(entry) for entry in self.config.iam_users}:
            return _iam_error(401, "The username or password is wrong.", "Unauthorized")
        project = self._resolve_project(scope)
        if project is None:
            return _iam_error(
                400, "The project does not exist or is not accessible.", "Bad Request"
            )
        return self._token_reply(name, domain, *project)

    def _resolve_project(self, scope: Any) -> tuple[str, str] | None:
        if not isinstance(scope, dict):
            return None
        projects = {self.config.region: self.config.project_id, **self.config.other_projects}
        wanted_id, wanted_name = scope.get("id"), scope.get("name")
        if wanted_id:
            names = [name for name, pid in projects.items() if pid == wanted_id]
            return (wanted_id, names[0]) if names else None
        if isinstance(wanted_name, str) and wanted_name in projects:
            return projects[wanted_name], wanted_name
        return None

    def _token_reply(self, user: str, domain: str, project_id: str, project_name: str) -> Reply:
        issued = datetime.now(UTC)
        expires = issued + timedelta(seconds=self.config.token_ttl_seconds)
        token = _opaque_token()
        with self._lock:
            self._tokens[token] = IssuedToken(project_id, user, domain, expires.timestamp())
            self.tokens_issued += 1
        domain_ref = {"id": _stable_id("domain", domain), "name": domain}
        body = {
            "token": {
                "expires_at": _iso_micro(expires),
                "issued_at": _iso_micro(issued),
                "methods": ["password"],
                "catalog": [],
                "roles": [{"id": _stable_id("role", "te_admin"), "name": "te_admin"}],
                "project": {"id": project_id, "name": project_name, "domain": domain_ref},
                "user": {
                    "id": _stable_id("user", domain, user),
                    "name": user,
                    "domain": domain_ref,
                    "password_expires_at": "",
                },
            }
        }
        return json_reply(201, body, headers={"X-Subject-Token": token})

    # --- /_sim/ controls --------------------------------------------------------------------

    def _control(self, request: Request) -> Reply:
        try:
            payload = json.loads(request.body) if request.body.strip() else {}
            if not isinstance(payload, dict):
                raise ValueError("the JSON body must be an object")
            return self._control_action(request.method, request.path.rstrip("/"), payload)
        except KeyError as exc:
            return json_reply(400, {"error": f"missing field {exc}"})
        except (ValueError, TypeError) as exc:
            return json_reply(400, {"error": str(exc)})

    def _control_action(self, method: str, path: str, payload: dict[str, Any]) -> Reply:
        action = (method, path)
        if action == ("GET", "/_sim/state"):
            return json_reply(200, self.state())
        if action == ("POST", "/_sim/faults"):
            params = dict(payload.pop("params", None) or {})
            kind, target = payload.pop("kind"), payload.pop("target", "*")
            count = payload.pop("count", None)
            fault = self.set_fault(kind, target, count, **params, **payload)
            return json_reply(201, {"fault": fault.as_dict()})
        if action == ("DELETE", "/_sim/faults"):
            return json_reply(200, {"cleared": self.faults.clear()})
        if action == ("POST", "/_sim/jobs"):
            duration = payload.pop("duration_seconds")
            outcome = payload.pop("outcome", "SUCCESS")
            return json_reply(201, {"job_id": self.add_live_job(duration, outcome, **payload)})
        if action == ("POST", "/_sim/expire-tokens"):
            return json_reply(200, {"expired": self.expire_tokens()})
        if action == ("POST", "/_sim/reset-counters"):
            self.reset_counters()
            return json_reply(200, {"ok": True})
        return json_reply(404, {"error": f"no control endpoint {method} {path}"})

    # --- seeding ----------------------------------------------------------------------------

    def _seed(self) -> None:
        config = self.config
        seed = build_seed_jobs(config.random_seed, time.time(), config.bulk_jobs, config.live_jobs)
        for job in seed.jobs:
            self.store.add(job)
        if config.seed_faults:
            slow = config.slow_job_delay_seconds
            self.set_fault("delay", seed.slow_job_id, seconds=slow)
            self.set_fault("missing_fields", seed.broken_job_id)


def _apply_fields(data: dict[str, Any], fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        section = next((s for s, keys in _LIVE_FIELDS.items() if key in keys), None)
        if section is not None:
            data[section][key] = value
        elif isinstance(data.get(key), dict) and isinstance(value, dict):
            data[key].update(value)
        elif key == "new_db_names":
            data[key] = value if isinstance(value, str) else json.dumps(value)
        elif key in ("instance_name", "create_time"):
            data[key] = value
        else:
            raise ValueError(f"unknown job field {key!r}")
