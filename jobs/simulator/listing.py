"""The list endpoint: query parsing and its semantics, filtering, sorting, list items.

Our assumptions where drs-api.md is silent (an invalid value is a 400 DRS.M00007):
- `name`, `description`: case-insensitive substring match.
- `status`: case-insensitive exact match; must be one of the four documented values.
- `dbs_instance_ids`: repeated keys (comma-separated values are split too), at most 10 ids,
  matched against `target_db_info.target_instance_id`.
- `create_at`, `completed_at`: "on or after". Epoch milliseconds (all digits), `YYYY-MM-DD`,
  or an ISO 8601 datetime (`Z`/offset; naive means UTC). A job without `finish_time` never
  matches `completed_at`.
- `enterprise_project_id`: exact; `all_granted_eps` means no filter.
- `tags`: `key=value` or `key`; repeat the parameter (or separate with commas) to AND them.
- `limit` 1..2000 (default 10), `offset` >= 0 (default 0).
- `sort_key` as documented: `ip` is the target instance's private IP, `tag_value` the first
  tag's value; `sort_dir` `asc`/`desc` (default `desc`, by `created_at`). Ties: create time, id.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .store import STATUSES, Job, JobStore, parse_time

SORT_KEYS = ("name", "db_type", "inst_id", "ip", "created_at", "description", "tag_value")
SORT_DIRS = ("asc", "desc")
DEFAULT_LIMIT = 10
MAX_LIMIT = 2000
MAX_INSTANCE_IDS = 10


class InvalidParameter(ValueError):
    """A list query parameter the API would reject (400 DRS.M00007)."""


def summary(view: dict[str, Any]) -> dict[str, str]:
    """A list item: the documented fields, all strings."""
    base = view.get("base_info") or {}
    fields = {
        "id": view.get("id"),
        "name": base.get("name"),
        "status": view.get("status"),
        "engine_type": base.get("engine_type"),
        "error_log": view.get("error_log"),
        "description": base.get("description"),
        "create_time": view.get("create_time"),
        "finish_time": view.get("finish_time"),
        "enterprise_project_id": base.get("enterprise_project_id"),
    }
    return {key: "" if value is None else str(value) for key, value in fields.items()}


@dataclass
class ListQuery:
    name: str = ""
    status: str = ""
    instance_ids: frozenset[str] = frozenset()
    description: str = ""
    created_from: float | None = None
    completed_from: float | None = None
    enterprise_project_id: str = ""
    tags: list[tuple[str, str | None]] = field(default_factory=list)
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    sort_key: str = "created_at"
    descending: bool = True

    def matches(self, job: Job, view: dict[str, Any]) -> bool:
        base = view.get("base_info") or {}
        if not _contains(base.get("name"), self.name):
            return False
        if self.status and str(view.get("status") or "").strip().upper() != self.status:
            return False
        if self.instance_ids:
            target = view.get("target_db_info") or {}
            if target.get("target_instance_id") not in self.instance_ids:
                return False
        if not _contains(base.get("description"), self.description):
            return False
        if self.created_from is not None and job.created < self.created_from:
            return False
        if self.completed_from is not None:
            finished = parse_time(str(view.get("finish_time") or ""))
            if finished is None or finished < self.completed_from:
                return False
        if (
            self.enterprise_project_id
            and base.get("enterprise_project_id") != self.enterprise_project_id
        ):
            return False
        return all(_has_tag(base.get("tags"), key, value) for key, value in self.tags)

    def sort_value(self, job: Job, view: dict[str, Any]) -> tuple[Any, ...]:
        return _SORT_VALUES[self.sort_key](job, view), job.created, job.id


def _base(view: dict[str, Any]) -> dict[str, Any]:
    return view.get("base_info") or {}


_SORT_VALUES = {
    "name": lambda job, view: str(_base(view).get("name") or "").lower(),
    "db_type": lambda job, view: str(_base(view).get("engine_type") or ""),
    "inst_id": lambda job, view: str(
        (view.get("target_db_info") or {}).get("target_instance_id") or ""
    ),
    "ip": lambda job, view: _ip_key(job.ip),
    "created_at": lambda job, view: job.created,
    "description": lambda job, view: str(_base(view).get("description") or "").lower(),
    "tag_value": lambda job, view: str(
        ((_base(view).get("tags") or [{}])[0] or {}).get("value") or ""
    ).lower(),
}


def _contains(value: Any, needle: str) -> bool:
    return not needle or needle.lower() in str(value or "").lower()


def _has_tag(tags: Any, key: str, value: str | None) -> bool:
    pairs = [(t.get("key"), t.get("value")) for t in tags or [] if isinstance(t, dict)]
    return any(k == key and (value is None or v == value) for k, v in pairs)


def _ip_key(ip: str) -> tuple[int, int]:
    try:
        return 0, int(ipaddress.ip_address(ip))
    except ValueError:
        return 1, 0


def _int_param(name: str, raw: str, low: int, high: int | None) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise InvalidParameter(f"Invalid parameter: {name} must be an integer.") from None
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise InvalidParameter(f"Invalid parameter: {name} must be {bounds}.")
    return value


def _time_param(name: str, raw: str) -> float:
    raw = raw.strip()
    if raw.isdigit():
        return int(raw) / 1000
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidParameter(
            f"Invalid parameter: {name} must be epoch milliseconds or an ISO 8601 date/time."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def parse_list_query(pairs: list[tuple[str, str]]) -> ListQuery:
    """Validate decoded query pairs; unknown parameters are ignored like the cloud does."""
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        multi.setdefault(key, []).append(value)

    def one(key: str) -> str:
        return multi.get(key, [""])[-1].strip()

    query = ListQuery(name=one("name"), description=one("description"))
    status = one("status").upper()
    if status and status not in STATUSES:
        raise InvalidParameter(f"Invalid parameter: status must be one of {', '.join(STATUSES)}.")
    query.status = status
    ids = _split(multi.get("dbs_instance_ids", []))
    if len(ids) > MAX_INSTANCE_IDS:
        raise InvalidParameter(
            f"Invalid parameter: dbs_instance_ids accepts at most {MAX_INSTANCE_IDS} ids."
        )
    query.instance_ids = frozenset(ids)
    if one("create_at"):
        query.created_from = _time_param("create_at", one("create_at"))
    if one("completed_at"):
        query.completed_from = _time_param("completed_at", one("completed_at"))
    enterprise_project = one("enterprise_project_id")
    query.enterprise_project_id = (
        "" if enterprise_project == "all_granted_eps" else enterprise_project
    )
    for tag in _split(multi.get("tags", [])):
        key, sep, value = tag.partition("=")
        query.tags.append((key.strip(), value.strip() if sep else None))
    if "limit" in multi:
        query.limit = _int_param("limit", one("limit"), 1, MAX_LIMIT)
    if "offset" in multi:
        query.offset = _int_param("offset", one("offset"), 0, None)
    sort_key = one("sort_key") or "created_at"
    if sort_key not in SORT_KEYS:
        raise InvalidParameter(
            f"Invalid parameter: sort_key must be one of {', '.join(SORT_KEYS)}."
        )
    query.sort_key = sort_key
    sort_dir = one("sort_dir").lower() or "desc"
    if sort_dir not in SORT_DIRS:
        raise InvalidParameter("Invalid parameter: sort_dir must be asc or desc.")
    query.descending = sort_dir == "desc"
    return query


def list_jobs(store: JobStore, query: ListQuery) -> tuple[int, list[dict[str, str]]]:
    """(total matching, the requested page of list items)."""
    matching = [(job, view) for job, view in store.views() if query.matches(job, view)]
    matching.sort(key=lambda pair: query.sort_value(*pair), reverse=query.descending)
    page = matching[query.offset : query.offset + query.limit]
    return len(matching), [summary(view) for _, view in page]
