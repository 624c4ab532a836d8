"""Injected failures: which requests they hit, how long they last, the replies they become.

A fault has a kind, a target (a job id, or "*" for every DRS request; list requests are hit
only by "*"), an optional count of requests it lasts (default: until cleared) and parameters.
Set them with `Simulator.set_fault(kind, target="*", count=None, **params)` or
`POST /_sim/faults {"kind", "target", "count", "params": {...}}` (parameters may also be
inline); `clear_faults()` / `DELETE /_sim/faults` ends them. A job-specific fault wins over
"*". Faults hit DRS reads; PUT and DELETE only `delay` and `WRITE_KINDS`.

Classic kinds:
- `delay` (`seconds`=1.0): answer late; adds up with other delays.
- `http_500`, `http_502`, `http_503`: nginx's HTML error page.
- `throttle`: 429 APIG.0308 "policy user over ratelimit" (or `message`).
- `malformed_json`: the first half of the body.  `non_object_json` (`shape`="list"|"string").
- `oversized` (`bytes`=12 MiB): the normal object padded to that size, beyond client caps.
- `drop`: close the connection without answering.
- `missing_fields`: nulls, wrong types, a list item that is not an object.
- `unknown_status` (`status`="PAUSED").  `expired_token`: 401 "token expires" (tokens only).
- `lost_answer` (`seconds`=0, creates only): the job is created, the answer never arrives.

Hostile-upstream kinds (valid HTTP, content meant to break a client):
- `trickle` (`seconds`=1.0): status line, headers and body sent one byte every `seconds`
  (the connection closes afterwards).
- `deep_nesting` (`depth`=100000): the normal object plus a key `nested` holding `depth`
  nested JSON lists; recursive parsers overflow.
- `edge_dates`: `create_time`/`finish_time` `0001-01-01T00:00:00Z`, `9999-12-31T23:59:59Z`,
  huge and negative epochs, out-of-range ISO dates (list items cycle through them);
  the detail's `file_last_modify` become `99999999999999999999`.
- `bad_ids`: list items with a missing id, `../x`, `<script>`, "", null, a number, 5000
  characters, CR/LF, U+202E...; the detail's id becomes `../x`.
- `control_chars`: names, descriptions, error logs (and detail file names, instance name) carry
  C0 and C1 controls, ANSI CSI and OSC sequences (title, hyperlink), bidi overrides (U+202E)
  and zero-width characters.
- `repeated_pages` (list only): the list ignores `offset` and returns the first page forever.
- `huge_files` (`files`=60000, detail only): a detail with that many `.trn` files.
- `huge_body` (`bytes`=5 MiB): a well-formed body of at least that size, the bulk being a long
  error log (under typical client caps, unlike `oversized`).
- `redirect_internal` (`location`="http://169.254.169.254/latest/meta-data/", `status`=302):
  a redirect to an internal address (e.g. http://127.0.0.1:1/ or the metadata service).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jobs.simulator import hostile
from jobs.simulator.replies import Reply, dump_json, gateway_error, json_reply

CLASSIC_KINDS = (
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
    "lost_answer",
)
HOSTILE_KINDS = (
    "trickle",
    "deep_nesting",
    "edge_dates",
    "bad_ids",
    "control_chars",
    "repeated_pages",
    "huge_files",
    "huge_body",
    "redirect_internal",
)
KINDS = CLASSIC_KINDS + HOSTILE_KINDS
LIST_ONLY = frozenset({"repeated_pages"})
DETAIL_ONLY = frozenset({"huge_files"})
CREATE_ONLY = frozenset({"lost_answer"})
# Kinds that also hit PUT and DELETE: they fail the request before the job changes.
WRITE_KINDS = frozenset(
    {"http_500", "http_502", "http_503", "throttle", "drop", "redirect_internal"}
)
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
DEFAULT_OVERSIZED_BYTES = 12 * 1024 * 1024
DEFAULT_HUGE_BODY_BYTES = 5 * 1024 * 1024
DEFAULT_REDIRECT = "http://169.254.169.254/latest/meta-data/"
THROTTLE_MESSAGE = (
    "The throttling threshold has been reached: policy user over ratelimit,limit:20,time:1 minute"
)
_DEFAULTS: dict[str, dict[str, Any]] = {
    "delay": {"seconds": 1.0},
    "trickle": {"seconds": 1.0},
    "oversized": {"bytes": DEFAULT_OVERSIZED_BYTES},
    "huge_body": {"bytes": DEFAULT_HUGE_BODY_BYTES},
    "deep_nesting": {"depth": 100_000},
    "huge_files": {"files": 60_000},
    "redirect_internal": {"location": DEFAULT_REDIRECT, "status": 302},
}
_NUMBERS = {  # parameter: (integer only, smallest allowed)
    "seconds": (False, 0),
    "bytes": (True, 1),
    "depth": (True, 1),
    "files": (True, 0),
}


def usable_on_reads(is_list: bool) -> Callable[[str], bool]:
    """The fault kinds that apply to a list read (True) or a detail read (False)."""
    excluded = (DETAIL_ONLY if is_list else LIST_ONLY) | CREATE_ONLY
    return lambda kind: kind not in excluded


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
    for name, default in _DEFAULTS.get(kind, {}).items():
        params.setdefault(name, default)
    for name, (integer, low) in _NUMBERS.items():
        if name in _DEFAULTS.get(kind, {}):
            value = params[name]
            number = int if integer else int | float
            if isinstance(value, bool) or not isinstance(value, number) or value < low:
                kind_of = "an integer" if integer else "a number"
                raise ValueError(f"{kind} needs '{name}' to be {kind_of} >= {low}")
    if kind == "redirect_internal":
        if not isinstance(params["location"], str) or not params["location"]:
            raise ValueError("redirect_internal needs a 'location' URL")
        if params["status"] not in REDIRECT_STATUSES:
            raise ValueError(f"redirect_internal 'status' must be one of {REDIRECT_STATUSES}")
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
        message = str(fault.params.get("message", THROTTLE_MESSAGE))
        return gateway_error(429, "APIG.0308", message, request_id)
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
    return _hostile(fault, status, payload)


def _hostile(fault: Fault, status: int, payload: Any) -> Reply:
    kind, params = fault.kind, fault.params
    if kind == "trickle":
        return Reply(status, dump_json(payload), trickle_seconds=float(params["seconds"]))
    if kind == "redirect_internal":
        headers = {"Location": params["location"]}
        return Reply(int(params["status"]), b"", content_type=None, headers=headers)
    if kind == "deep_nesting":
        return Reply(status, hostile.deep_nesting(payload, int(params["depth"])))
    if kind == "huge_body":
        return Reply(status, hostile.huge_body(payload, int(params["bytes"])))
    if status != 200:
        return json_reply(status, payload)
    if kind == "edge_dates":
        return json_reply(status, hostile.edge_dates(payload))
    if kind == "bad_ids":
        return json_reply(status, hostile.bad_ids(payload))
    if kind == "control_chars":
        return json_reply(status, hostile.control_chars(payload))
    if kind == "huge_files":
        return json_reply(status, hostile.huge_files(payload, int(params["files"])))
    return json_reply(status, payload)  # repeated_pages changed the query already


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
