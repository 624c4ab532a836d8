"""`POST /v5/{project_id}/backup-migration-jobs`: the create, checked as drs-api.md §10 and the
create page document it (and nothing more), and the new job's lifecycle.

Validation (each failure is 400 DRS.M00007 "Invalid parameter: …", the documented code):
- the body is an object with `base_info`, `target_db_info`, `backup_info`, `options` objects;
- `base_info.name` 4–50 letters, digits, `-`, `_`; `engine_type` `sqlserver`; `description`,
  `enterprise_project_id` strings when present; `tags` keys ≤ 36 of letters, digits, `_`, `-`,
  values of letters, digits, spaces and `_ . : / = + - @`;
- `target_db_info.target_instance_id` present; `file_id` present when restoring from RDS;
- `backup_info.file_source` `OBS` or `RDS`; OBS: `bucket_name` 3–63 lower-case letters, digits,
  `-`, `.`, starting and ending with a letter or digit, not an IP address; every file has
  `name` and `obs_path` (strings, `obs_path` may be ""); RDS: every file has `rds_version` and
  `rds_source_instance_id`; at least one file;
- `options`: the booleans are booleans when present; `recovery_mode` `full` or `incre`;
  `db_names` a non-empty list when `is_default_restore` is false; `reset_db_name_map` only with
  one database (at most one entry in `db_names`), `full` and `is_last_backup` true;
  `consistency_check_mode` `sync` or `async`; a restore from RDS is full only (§9).

The lifecycle (choices of this simulator, so a demo can fail on purpose): the job is
TRANSFERRING from its creation (DRS has no precheck status; the precheck runs inside it) for
`SimulatorConfig.created_job_seconds`. A file name containing `precheck-fail` ends the job
PRECHECK FAILED after the first third when `is_precheck` is true (FAILED at the end
otherwise); one containing `fail` ends it FAILED with SQL Server's "cannot open backup device"
error; any other ends SUCCESS.
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
import uuid
from typing import Any

from jobs.simulator import errors as sql_errors
from jobs.simulator.store import Job, Lifecycle, format_time

NAME = re.compile(r"[A-Za-z0-9_-]{4,50}")
BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
TAG_KEY = re.compile(r"[A-Za-z0-9_-]{1,36}")
TAG_VALUE = re.compile(r"[A-Za-z0-9 _.:/=+\-@]*")
FLAGS = ("is_cover", "is_default_restore", "is_last_backup", "is_precheck", "is_delete_backup_file")


class Invalid(ValueError):
    """The create body breaks a documented rule."""


def _object(parent: dict, key: str) -> dict:
    value = parent.get(key)
    if not isinstance(value, dict):
        raise Invalid(f"{key} must be an object.")
    return value


def _string(parent: dict, key: str, where: str, required: bool = True) -> str:
    value = parent.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value and key != "obs_path"):
        raise Invalid(f"{where}.{key} is required and must be a string.")
    return value


def validate(body: Any) -> None:
    """Raise Invalid with the reason if the create body breaks a documented rule."""
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object.")
    base, target = _object(body, "base_info"), _object(body, "target_db_info")
    backup, options = _object(body, "backup_info"), _object(body, "options")
    if not NAME.fullmatch(_string(base, "name", "base_info")):
        raise Invalid("base_info.name must be 4 to 50 letters, digits, hyphens or underscores.")
    if _string(base, "engine_type", "base_info") != "sqlserver":
        raise Invalid("base_info.engine_type must be sqlserver.")
    for key in ("description", "enterprise_project_id"):
        _string(base, key, "base_info", required=False)
    tags = base.get("tags", [])
    if not isinstance(tags, list):
        raise Invalid("base_info.tags must be a list.")
    for tag in tags:
        _check_tag(tag)
    _string(target, "target_instance_id", "target_db_info")
    for key in ("ms_file_stream_status", "file_id"):
        _string(target, key, "target_db_info", required=False)
    source = _string(backup, "file_source", "backup_info")
    if source not in ("OBS", "RDS"):
        raise Invalid("backup_info.file_source must be OBS or RDS.")
    files = backup.get("files")
    if not isinstance(files, list) or not files or not all(isinstance(f, dict) for f in files):
        raise Invalid("backup_info.files must be a non-empty list of objects.")
    if source == "OBS":
        bucket = _string(backup, "bucket_name", "backup_info")
        if not BUCKET.fullmatch(bucket) or _is_ip(bucket):
            raise Invalid(
                "backup_info.bucket_name must be 3 to 63 lower-case letters, digits, hyphens or "
                "periods, start and end with a letter or digit, and not be an IP address."
            )
        for file in files:
            _string(file, "name", "backup_info.files[]")
            _string(file, "obs_path", "backup_info.files[]")
    else:
        _string(target, "file_id", "target_db_info")
        for file in files:
            _string(file, "rds_version", "backup_info.files[]")
            _string(file, "rds_source_instance_id", "backup_info.files[]")
    _check_options(options, source)


def _check_tag(tag: Any) -> None:
    if not isinstance(tag, dict):
        raise Invalid("base_info.tags[] must be objects.")
    key, value = tag.get("key"), tag.get("value", "")
    if not isinstance(key, str) or not TAG_KEY.fullmatch(key):
        raise Invalid("a tag key is at most 36 letters, digits, underscores or hyphens.")
    if not isinstance(value, str) or not TAG_VALUE.fullmatch(value):
        raise Invalid("a tag value has letters, digits, spaces and _ . : / = + - @ only.")


def _check_options(options: dict, source: str) -> None:
    for flag in FLAGS:
        if flag in options and not isinstance(options[flag], bool):
            raise Invalid(f"options.{flag} must be a boolean.")
    mode = options.get("recovery_mode")
    if mode not in ("full", "incre"):
        raise Invalid("options.recovery_mode must be full or incre.")
    if source == "RDS" and mode != "full":
        raise Invalid("a restore from an RDS backup is full only.")
    names = options.get("db_names", [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise Invalid("options.db_names must be a list of database names.")
    if options.get("is_default_restore", True) is False and not names:
        raise Invalid("options.db_names is required when is_default_restore is false.")
    mapping = options.get("reset_db_name_map")
    if mapping:
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in mapping.items()
        ):
            raise Invalid('options.reset_db_name_map maps "" to the new database name.')
        if len(names) > 1 or mode != "full" or options.get("is_last_backup") is not True:
            raise Invalid(
                "options.reset_db_name_map needs one database, a full backup and "
                "is_last_backup true."
            )
    check = options.get("consistency_check_mode")
    if check is not None and check not in ("sync", "async"):
        raise Invalid("options.consistency_check_mode must be sync or async.")


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def new_job(body: dict, now: float, seconds: float, ip: str = "") -> Job:
    """The job a valid create makes, TRANSFERRING now."""
    base, target = body["base_info"], body["target_db_info"]
    backup, options = body["backup_info"], body["options"]
    files = backup["files"]
    names = [f.get("name") or f.get("rds_version") or "" for f in files]
    data: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "status": "TRANSFERRING",
        "create_time": format_time(now),
        "backup_info": {
            "file_source": backup["file_source"],
            "bucket_name": backup.get("bucket_name", ""),
            "file_info": [
                {"file_name": n, "file_size": "704KB", "file_last_modify": str(int(now * 1000))}
                for n in names
            ],
        },
        "base_info": {
            key: base[key]
            for key in ("name", "engine_type", "description", "enterprise_project_id", "tags")
            if key in base
        },
        "target_db_info": dict(target),
        "options": {"db_names": [], **options},
        "new_db_names": json.dumps(list((options.get("reset_db_name_map") or {}).values())),
        "instance_name": "",
        "error_log": "",
    }
    data["base_info"].setdefault("enterprise_project_id", "0")
    lowered = " ".join(names).lower()
    outcome, error_log, duration = "SUCCESS", "", seconds
    if "precheck-fail" in lowered and options.get("is_precheck"):
        outcome, duration = "PRECHECK FAILED", seconds / 3
        error_log = "Precheck failed: the backup file cannot be read by the target instance."
    elif "fail" in lowered:
        failing = next(n for n in names if "fail" in n.lower())
        outcome = "FAILED"
        error_log = sql_errors.render(sql_errors.cannot_open("", failing))
    return Job(data, created=now, ip=ip, lifecycle=Lifecycle(now, duration, outcome, error_log))


def created_at() -> float:
    return time.time()
