"""The DRS v5 backup-migration job endpoints behind the gateway.

- `GET …/backup-migration-jobs` (list; semantics in `listing`) and `GET …/{job_id}` (detail).
- `PUT …/{job_id}` with `{"name"?, "description"?}`: renames or re-describes the job; an empty
  200. Any job may be updated.
- `DELETE …/{job_id}`: only for completed jobs (SUCCESS, FAILED, PRECHECK FAILED, any case);
  an empty 200. Afterwards detail answers 400 DRS.10000010 and the list leaves it out.

- `POST …/backup-migration-jobs` with a `CreateOfflineTaskReq` body: checked and run as
  `creating` documents; 200 `{"job_id": "…"}`.
- Tags (resource type `backupMigration`): `GET /v5/{project}/backupMigration/{job_id}/tags`
  → `{"tags": [{key, value}]}`; `POST …/tags/create` and `POST …/tags/delete` with
  `{"tags": [{key, value}]}` (the SDK's batch_create_tags / batch_delete_tags) → empty 200.
  Keys and values follow the documented tag rules (else 400 DRS.M00007); at most 10 per call.

Choices where drs-api.md is silent:
- Credentials in `SimulatorConfig.read_only` read but may not change: every create, PUT,
  DELETE and tag change is 403 DRS.M00102 "Policy doesn't allow drs:backupMigration:<action>
  to be performed." (the wording is IAM's usual form; DRS's own is unknown).
- Faults with target `create` hit creates only (and `*` ones hit them too).
- Fault `lost_answer` (creates only, `seconds`=0): the job is created, then the connection is
  closed without an answer after `seconds`, as when a create's answer is lost on the way.
- Paths are matched exactly (no trailing slash); other methods are 404 APIG.0101.
- A project the simulator does not serve is 403 DRS.M00102.
- PUT needs a JSON object with at least one of `name` and `description`, both strings; the name
  must be 4-50 letters (any script), digits, `-` or `_` (the documented rule for job names).
  Otherwise 400 DRS.M00007.
- Deleting a job that is not completed is 400 DRS.10000001 ("Failed.", the documented generic
  code; the real code and message for this case are unknown).
- Faults (see `faults`): reads get every kind that fits them; PUT and DELETE only `delay` and
  `faults.WRITE_KINDS`, which fail the request before the job changes.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl, unquote

from jobs.simulator import creating
from jobs.simulator import faults as fault_kinds
from jobs.simulator.config import SimulatorConfig
from jobs.simulator.faults import FaultSet
from jobs.simulator.gateway import Gateway, forbidden
from jobs.simulator.listing import InvalidParameter, list_jobs, parse_list_query
from jobs.simulator.replies import Reply, Request, drs_error, empty_reply, gateway_error, json_reply
from jobs.simulator.store import TERMINAL_OUTCOMES, Job, JobStore

API_NOT_FOUND = "The API does not exist or has not been published in the environment"
JOB_NOT_FOUND = "Job does not exist, please check job ID."
NOT_COMPLETED = "Failed. Only completed jobs can be deleted."
_JOBS_PATH = re.compile(r"/v5/(?P<project>[^/]+)/backup-migration-jobs(?:/(?P<job>[^/]+))?")
_JOB_NAME = re.compile(r"[\w-]{4,50}")
_METHODS = {
    "GET": (True, True),
    "POST": (True, False),
    "PUT": (False, True),
    "DELETE": (False, True),
}  # list, job
_TAGS_PATH = re.compile(
    r"/v5/(?P<project>[^/]+)/backupMigration/(?P<job>[^/]+)/tags(?:/(?P<action>create|delete))?"
)
MAX_TAGS_PER_CALL = 10
CREATE_TARGET = "create"  # a fault with this target hits creates only


def route(method: str, path: str) -> tuple[str, str | None] | None:
    """(project id, job id or None) of a job endpoint this method is served on, else None."""
    match = _JOBS_PATH.fullmatch(path)
    if match is None or method not in _METHODS:
        return None
    job = match.group("job")
    on_list, on_job = _METHODS[method]
    if not (on_job if job else on_list):
        return None
    return unquote(match.group("project")), unquote(job) if job else None


def _not_found() -> Reply:
    return drs_error(400, "DRS.10000010", JOB_NOT_FOUND)


def _not_allowed(action: str) -> Reply:
    return drs_error(
        403, "DRS.M00102", f"Policy doesn't allow drs:backupMigration:{action} to be performed."
    )


def _invalid(message: str) -> Reply:
    return drs_error(400, "DRS.M00007", f"Invalid parameter: {message}")


class JobsApi:
    def __init__(
        self,
        config: SimulatorConfig,
        stores: dict[str, JobStore],
        gateway: Gateway,
        faults: FaultSet,
    ) -> None:
        self.config = config
        self.stores = stores  # project id -> its jobs
        self.gateway = gateway
        self.faults = faults
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._languages: Counter[str] = Counter()

    def calls(self, path_prefix: str = "") -> int:
        with self._lock:
            return sum(n for path, n in self._calls.items() if path.startswith(path_prefix))

    def calls_by_path(self) -> dict[str, int]:
        with self._lock:
            return dict(self._calls)

    def languages(self) -> dict[str, int]:
        with self._lock:
            return dict(self._languages)

    def reset_counters(self) -> None:
        with self._lock:
            self._calls.clear()
            self._languages.clear()

    def handle(self, request: Request) -> Reply:
        tags = _TAGS_PATH.fullmatch(request.path)
        if tags is not None:
            return self._tags(request, tags)
        found = route(request.method, request.path)
        if found is None:
            return gateway_error(404, "APIG.0101", API_NOT_FOUND, request.request_id)
        project_id, job_id = found
        with self._lock:
            self._calls[request.path] += 1
            self._languages[request.headers.get("X-Language", "")] += 1
        denied = self.gateway.authenticate(request, project_id, job_id)
        if denied is not None:
            return denied
        store = self.stores.get(project_id)
        if store is None:
            return forbidden()
        if request.method == "GET":
            return self._read(store, request, job_id)
        if not self.gateway.may_change(request):
            return _not_allowed("create" if request.method == "POST" else request.method.lower())
        if request.method == "POST":
            return self._create(store, request)
        assert job_id is not None  # route() serves PUT and DELETE on job paths only
        return self._write(store, request, job_id)

    def _create(self, store: JobStore, request: Request) -> Reply:
        delay, fault = self.faults.take(
            CREATE_TARGET, lambda kind: kind in fault_kinds.WRITE_KINDS or kind == "lost_answer"
        )
        if delay:
            time.sleep(delay)
        if fault is not None and fault.kind != "lost_answer":
            return fault_kinds.apply(fault, 200, {}, None, request.request_id)
        try:
            body = json.loads(request.body or b"null")
            creating.validate(body)
        except ValueError as exc:  # creating.Invalid, or not JSON
            reason = str(exc) if isinstance(exc, creating.Invalid) else "the body is not JSON."
            return _invalid(reason)
        job = creating.new_job(body, time.time(), self.config.created_job_seconds)
        store.add(job)
        if fault is not None:  # lost_answer: the job exists, the answer never arrives
            time.sleep(float(fault.params.get("seconds", 0)))
            return Reply(0, drop=True)
        return json_reply(200, {"job_id": job.id})

    def _tags(self, request: Request, match: re.Match[str]) -> Reply:
        project_id, job_id = unquote(match.group("project")), unquote(match.group("job"))
        action = match.group("action")
        if (request.method, bool(action)) not in (("GET", False), ("POST", True)):
            return gateway_error(404, "APIG.0101", API_NOT_FOUND, request.request_id)
        with self._lock:
            self._calls[request.path] += 1
        denied = self.gateway.authenticate(request, project_id, job_id)
        if denied is not None:
            return denied
        store = self.stores.get(project_id)
        if store is None:
            return forbidden()
        view = store.get(job_id)
        if view is None:
            return _not_found()
        if action is None:
            return json_reply(200, {"tags": (view.get("base_info") or {}).get("tags") or []})
        if not self.gateway.may_change(request):
            return _not_allowed("tag")
        try:
            tags = (json.loads(request.body or b"null") or {}).get("tags")
            if not isinstance(tags, list) or not 1 <= len(tags) <= MAX_TAGS_PER_CALL:
                raise creating.Invalid(f"tags must be a list of 1 to {MAX_TAGS_PER_CALL} tags.")
            for tag in tags:
                creating._check_tag(tag)
        except (ValueError, AttributeError) as exc:
            return _invalid(str(exc) if isinstance(exc, creating.Invalid) else "bad tags body.")

        def edit(job: Job) -> None:
            base = job.data.setdefault("base_info", {})
            current = {t["key"]: t.get("value", "") for t in base.get("tags") or []}
            for tag in tags:
                if action == "create":
                    current[tag["key"]] = tag.get("value", "")
                else:
                    current.pop(tag["key"], None)
            base["tags"] = [{"key": k, "value": v} for k, v in current.items()]

        return empty_reply() if store.change(job_id, edit) else _not_found()

    def _read(self, store: JobStore, request: Request, job_id: str | None) -> Reply:
        delay, fault = self.faults.take(job_id, fault_kinds.usable_on_reads(job_id is None))
        if delay:
            time.sleep(delay)
        repeat = fault is not None and fault.kind == "repeated_pages"
        status, payload = self._answer(store, request, job_id, ignore_offset=repeat)
        if fault is None:
            return json_reply(status, payload)
        return fault_kinds.apply(fault, status, payload, job_id, request.request_id)

    def _answer(
        self, store: JobStore, request: Request, job_id: str | None, ignore_offset: bool = False
    ) -> tuple[int, Any]:
        if job_id is not None:
            job = store.get(job_id)
            if job is None:
                return 400, {"error_code": "DRS.10000010", "error_msg": JOB_NOT_FOUND}
            return 200, job
        try:
            query = parse_list_query(parse_qsl(request.query, keep_blank_values=True))
        except InvalidParameter as exc:
            return 400, {"error_code": "DRS.M00007", "error_msg": str(exc)}
        if ignore_offset:
            query.offset = 0
        count, jobs = list_jobs(store, query, self.config.max_limit)
        return 200, {"count": count, "jobs": jobs}

    def _write(self, store: JobStore, request: Request, job_id: str) -> Reply:
        delay, fault = self.faults.take(job_id, lambda kind: kind in fault_kinds.WRITE_KINDS)
        if delay:
            time.sleep(delay)
        if fault is not None:
            return fault_kinds.apply(fault, 200, {}, job_id, request.request_id)
        if request.method == "PUT":
            return self._update(store, request.body, job_id)
        return self._delete(store, job_id)

    def _update(self, store: JobStore, body: bytes, job_id: str) -> Reply:
        try:
            fields = json.loads(body or b"null")
        except ValueError:
            return _invalid("the body is not JSON.")
        if not isinstance(fields, dict) or not ({"name", "description"} & fields.keys()):
            return _invalid("the body must be an object with name and/or description.")
        name, description = fields.get("name"), fields.get("description")
        if name is not None and not (isinstance(name, str) and _JOB_NAME.fullmatch(name)):
            return _invalid("name must be 4 to 50 letters, digits, hyphens or underscores.")
        if description is not None and not isinstance(description, str):
            return _invalid("description must be a string.")

        def edit(job: Job) -> None:
            base = job.data.setdefault("base_info", {})
            if name is not None:
                base["name"] = name
            if description is not None:
                base["description"] = description

        return empty_reply() if store.change(job_id, edit) else _not_found()

    def _delete(self, store: JobStore, job_id: str) -> Reply:
        view = store.get(job_id)
        if view is None:
            return _not_found()
        if str(view.get("status") or "").strip().upper() not in TERMINAL_OUTCOMES:
            return drs_error(400, "DRS.10000001", NOT_COMPLETED)
        return empty_reply() if store.remove(job_id) else _not_found()
