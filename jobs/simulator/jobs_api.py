"""The DRS v5 backup-migration job endpoints behind the gateway.

Paths are matched exactly (no trailing slash); other methods on job paths are 404 APIG.0101.
A project the simulator does not serve is 403 DRS.M00102. List semantics: see `listing`.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl, unquote

from . import faults as fault_kinds
from .config import SimulatorConfig
from .faults import FaultSet
from .gateway import Gateway, forbidden
from .listing import InvalidParameter, list_jobs, parse_list_query
from .replies import Reply, Request, gateway_error, json_reply
from .store import JobStore

API_NOT_FOUND = "The API does not exist or has not been published in the environment"
JOB_NOT_FOUND = "Job does not exist, please check job ID."
_JOBS_PATH = re.compile(r"/v5/(?P<project>[^/]+)/backup-migration-jobs(?:/(?P<job>[^/]+))?")


def route(method: str, path: str) -> tuple[str, str | None] | None:
    """(project id, job id or None) of a job endpoint this method is served on, else None."""
    match = _JOBS_PATH.fullmatch(path)
    if match is None or method != "GET":
        return None
    job = match.group("job")
    return unquote(match.group("project")), unquote(job) if job else None


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
        delay, fault = self.faults.take(job_id)
        if delay:
            time.sleep(delay)
        status, payload = self._answer(store, request, job_id)
        if fault is None:
            return json_reply(status, payload)
        return fault_kinds.apply(fault, status, payload, job_id, request.request_id)

    def _answer(self, store: JobStore, request: Request, job_id: str | None) -> tuple[int, Any]:
        if job_id is not None:
            job = store.get(job_id)
            if job is None:
                return 400, {"error_code": "DRS.10000010", "error_msg": JOB_NOT_FOUND}
            return 200, job
        try:
            query = parse_list_query(parse_qsl(request.query, keep_blank_values=True))
        except InvalidParameter as exc:
            return 400, {"error_code": "DRS.M00007", "error_msg": str(exc)}
        count, jobs = list_jobs(store, query, self.config.max_limit)
        return 200, {"count": count, "jobs": jobs}
