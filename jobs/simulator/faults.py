"""Injected failures: which requests they hit, how long they last, the replies they become."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .replies import Reply, dump_json, gateway_error, json_reply

KINDS = (
    "delay",
    "http_500",
    "http_502",
    "http_503",
    "throttle",
    "malformed_json",
    "non_object_json",
    "oversized",
    "drop",
    "missing_fields",
    "unknown_status",
    "expired_token",
)
# Kinds that also hit PUT and DELETE: they fail the request before the job changes.
WRITE_KINDS = frozenset({"http_500", "http_502", "http_503", "throttle", "drop"})
DEFAULT_OVERSIZED_BYTES = 12 * 1024 * 1024
THROTTLE_MESSAGE = (
    "The throttling threshold has been reached: policy user over ratelimit,limit:20,time:1 minute"
)
_HTML_TITLES = {
    500: "500 Internal Server Error",
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
}


@dataclass
class Fault:
    kind: str
    target: str = "*"
    remaining: int | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def matches(self, job_id: str | None) -> bool:
        return self.target == "*" or self.target == job_id

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target": self.target,
            "count": self.remaining,
            "params": dict(self.params),
        }


def new_fault(kind: str, target: str = "*", count: int | None = None, **params: Any) -> Fault:
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(KINDS)}")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ValueError("count must be a positive integer or null")
    if not isinstance(target, str) or not target:
        raise ValueError("target must be a job id or '*'")
    if kind == "delay":
        seconds = params.setdefault("seconds", 1.0)
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ValueError("delay needs seconds >= 0")
    if kind == "oversized":
        size = params.setdefault("bytes", DEFAULT_OVERSIZED_BYTES)
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError("oversized needs a positive integer 'bytes'")
    return Fault(kind, target, count, params)


class FaultSet:
    """Active faults. Job-specific faults win over '*'; every use counts against `count`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> int:
        with self._lock:
            cleared = len(self._faults)
            self._faults.clear()
        return cleared

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.as_dict() for fault in self._faults]

    def take_expired_token(self, job_id: str | None) -> Fault | None:
        with self._lock:
            found = self._first(job_id, lambda kind: kind == "expired_token")
            return self._consume(found) if found else None

    def take(
        self, job_id: str | None, usable: Callable[[str], bool] = lambda kind: True
    ) -> tuple[float, Fault | None]:
        """Total delay of matching delay faults, and the first matching reply-changing fault
        whose kind is `usable` for this request (faults that are not stay for later ones)."""
        with self._lock:
            delays = [f for f in self._faults if f.kind == "delay" and f.matches(job_id)]
            seconds = sum(float(self._consume(f).params["seconds"]) for f in delays)
            found = self._first(
                job_id, lambda kind: kind not in ("delay", "expired_token") and usable(kind)
            )
            return seconds, (self._consume(found) if found else None)

    def _first(self, job_id: str | None, wanted: Any) -> Fault | None:
        candidates = [f for f in self._faults if wanted(f.kind) and f.matches(job_id)]
        candidates.sort(key=lambda f: f.target == "*")
        return candidates[0] if candidates else None

    def _consume(self, fault: Fault) -> Fault:
        used = copy.deepcopy(fault)
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
        return used


def html_error(status: int) -> Reply:
    title = _HTML_TITLES.get(status, f"{status} Error")
    page = (
        "<html>\r\n"
        f"<head><title>{title}</title></head>\r\n"
        "<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n"
        "<hr><center>nginx</center>\r\n"
        "</body>\r\n"
        "</html>\r\n"
    )
    return Reply(status, page.encode(), content_type="text/html")


def apply(fault: Fault, status: int, payload: Any, job_id: str | None, request_id: str) -> Reply:
    """Turn the normal (status, payload) of a DRS request into the faulty reply."""
    kind = fault.kind
    if kind.startswith("http_"):
        return html_error(int(kind.removeprefix("http_")))
    if kind == "throttle":
        return gateway_error(429, "APIG.0308", THROTTLE_MESSAGE, request_id)
    if kind == "drop":
        return Reply(0, drop=True)
    if kind == "malformed_json":
        body = dump_json(payload)
        return Reply(200, body[: max(1, len(body) // 2)])
    if kind == "non_object_json":
        if fault.params.get("shape") == "string":
            return json_reply(200, "OK")
        return json_reply(200, [payload])
    if kind == "oversized":
        return Reply(200, _padded(payload, int(fault.params["bytes"])))
    if kind == "missing_fields":
        return json_reply(200, _broken_list(payload) if job_id is None else _broken_detail(job_id))
    if kind == "unknown_status" and status == 200:
        return json_reply(200, _with_status(payload, str(fault.params.get("status", "PAUSED"))))
    return json_reply(status, payload)


def _padded(payload: Any, size: int) -> bytes:
    padded = dict(payload) if isinstance(payload, dict) else {"data": payload}
    padded["padding"] = ""
    missing = max(0, size - len(dump_json(padded)))
    padded["padding"] = "x" * missing
    return dump_json(padded)


def _broken_detail(job_id: str) -> dict[str, Any]:
    return {
        "id": job_id,
        "status": None,
        "create_time": 1706511360,
        "backup_info": {"file_source": "OBS", "file_info": "1706510914000_1_Test_Database.bak"},
        "base_info": None,
        "options": {"db_names": "SalesDB", "is_cover": "yes", "reset_db_name_map": []},
        "new_db_names": ["SalesDB"],
        "error_log": None,
    }


def _broken_list(payload: Any) -> dict[str, Any]:
    jobs = payload.get("jobs", []) if isinstance(payload, dict) else []
    ids = [job.get("id", "") for job in jobs[:2]] or ["0667845a-6291-4e2a-95b0-190c0abjb703"]
    broken: list[Any] = [{"id": ids[0], "status": None, "name": None, "create_time": 1706511360}]
    broken += [{"id": job_id, "finish_time": False} for job_id in ids[1:]]
    broken.append("not-an-object")
    return {"count": str(len(broken)), "jobs": broken}


def _with_status(payload: Any, status: str) -> Any:
    changed = copy.deepcopy(payload)
    if isinstance(changed, dict) and "status" in changed:
        changed["status"] = status
    if isinstance(changed, dict) and isinstance(changed.get("jobs"), list):
        for job in changed["jobs"]:
            job["status"] = status
    return changed
