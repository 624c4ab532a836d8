"""The list endpoint: query parsing and its semantics, filtering, sorting, list items.

Where drs-api.md documents a parameter we follow it; where it is silent we say what we chose,
and parameters whose format is undocumented are accepted and ignored rather than guessed.
An invalid value of a documented parameter is a 400 DRS.M00007.

- `name`, `description`: case-insensitive substring match (`name` is documented as fuzzy).
- `status`: case-insensitive exact match; must be one of the four documented values.
- `dbs_instance_ids`: repeated keys (comma-separated values are split too), at most 10 ids,
  matched against `target_db_info.target_instance_id`.
- `enterprise_project_id`: exact match; `all_granted_eps` means no filter.
- `create_at`, `completed_at`, `tags`: **accepted and ignored**. Their format is undocumented
  (drs-api.md §1), so the simulator filters nothing rather than pretend to know it; clients
  must filter by time on their side.
- `limit`: a positive integer, default 10, no upper bound (the maximum is undocumented).
  `SimulatorConfig.max_limit` (default None) caps the page size below what was asked, as a
  server may, so tests can prove clients don't stop on a short page.
- `offset`: records to skip, >= 0, default 0.
- `sort_key`: any value of the documented enum is accepted, but only `name` and `created_at`
  are honoured; the others sort like `created_at`. `sort_dir` `asc`/`desc` (default `desc`).
  Ties: create time, then id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobs.simulator.store import STATUSES, Job, JobStore

SORT_KEYS = ("name", "db_type", "inst_id", "ip", "created_at", "description", "tag_value")
HONOURED_SORT_KEYS = ("name", "created_at")
SORT_DIRS = ("asc", "desc")
DEFAULT_LIMIT = 10
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
    enterprise_project_id: str = ""
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    sort_key: str = "created_at"
    descending: bool = True

    def matches(self, view: dict[str, Any]) -> bool:
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
        wanted_ep = self.enterprise_project_id
        return not wanted_ep or base.get("enterprise_project_id") == wanted_ep

    def sort_value(self, job: Job, view: dict[str, Any]) -> tuple[Any, ...]:
        if self.sort_key == "name":
            name = str((view.get("base_info") or {}).get("name") or "").lower()
            return name, job.created, job.id
        return job.created, job.id


def _contains(value: Any, needle: str) -> bool:
    return not needle or needle.lower() in str(value or "").lower()


def _int_param(name: str, raw: str, low: int) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise InvalidParameter(f"Invalid parameter: {name} must be an integer.") from None
    if value < low:
        raise InvalidParameter(f"Invalid parameter: {name} must be at least {low}.")
    return value


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
    enterprise_project = one("enterprise_project_id")
    query.enterprise_project_id = (
        "" if enterprise_project == "all_granted_eps" else enterprise_project
    )
    if "limit" in multi:
        query.limit = _int_param("limit", one("limit"), 1)
    if "offset" in multi:
        query.offset = _int_param("offset", one("offset"), 0)
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


def list_jobs(
    store: JobStore, query: ListQuery, max_limit: int | None = None
) -> tuple[int, list[dict[str, str]]]:
    """(total matching, the requested page of list items, at most `max_limit` of them)."""
    matching = [(job, view) for job, view in store.views() if query.matches(view)]
    matching.sort(key=lambda pair: query.sort_value(*pair), reverse=query.descending)
    size = query.limit if max_limit is None else min(query.limit, max_limit)
    page = matching[query.offset : query.offset + size]
    return len(matching), [summary(view) for _, view in page]
