"""Jobs as plain JSON-ready dicts, keyed and nested by the DRS API's own field names: the one
serializer for the CLI (`manage.py jobs … --json`: a detail, list items), the web exports
(CSV/JSON of mirror rows) and the API (`jobs.api.v1`), so every surface spells a job, and its
times, alike.
Pure functions: they read attributes and import no Django.

Values are the *normalised* ones from `jobs.drs.models`, not the body as received (that is
`Job.raw_json`):

- `status` is canonical ("SUCCESS", "PRECHECK FAILED"); unknown statuses stay verbatim.
- Times (`create_time`, `finish_time`, `file_last_modify`) are ISO 8601 UTC ending in `Z`
  (`2024-01-29T06:56:00Z`), or None when missing or unreadable. `file_last_modify` arrives as
  epoch milliseconds and is converted.
- Booleans in `options` are True/False, or None when missing or unreadable.
- `new_db_names` is the decoded list; the raw string when it is not a JSON list; None when absent.
- Missing strings are "", missing lists are [] and a missing `reset_db_name_map` is {}.

The one derived addition is `backup_info.file_info[].file_size_bytes`: `file_size` parsed to an
int (binary units, "704KB" → 720896), or None. `file_size` itself stays as DRS gave it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from jobs.drs.models import BackupFile, Job, JobSummary

if TYPE_CHECKING:
    from jobs.mirror.models import MirroredJob

# The list item's fields, in the API's order: handy as a CSV header.
SUMMARY_FIELDS: tuple[str, ...] = (
    "id",
    "name",
    "status",
    "engine_type",
    "error_log",
    "description",
    "create_time",
    "finish_time",
    "enterprise_project_id",
)


def iso_utc(value: datetime | None) -> str | None:
    """`2024-08-19T02:27:15Z`; fractions of a second only when there are any."""
    if value is None:
        return None
    utc = value.astimezone(UTC)
    if utc.microsecond == 0:
        timespec = "seconds"
    elif utc.microsecond % 1000 == 0:
        timespec = "milliseconds"
    else:
        timespec = "microseconds"
    return utc.replace(tzinfo=None).isoformat(timespec=timespec) + "Z"


def file_to_api(file: BackupFile) -> dict[str, Any]:
    return {
        "file_name": file.name,
        "file_size": file.size_text,
        "file_size_bytes": file.size_bytes,
        "file_last_modify": iso_utc(file.last_modified),
    }


def job_to_api(job: Job) -> dict[str, Any]:
    """The detail endpoint's fields, normalised (see the module docstring)."""
    backup, base, target, options = job.backup_info, job.base_info, job.target_db_info, job.options
    if job.new_db_names is not None:
        new_db_names: list[str] | str | None = list(job.new_db_names)
    else:
        new_db_names = job.new_db_names_raw or None
    return {
        "id": job.id,
        "status": job.status,
        "create_time": iso_utc(job.create_time),
        "finish_time": iso_utc(job.finish_time),
        "backup_info": {
            "file_source": backup.file_source,
            "bucket_name": backup.bucket_name,
            "file_info": [file_to_api(f) for f in backup.files],
        },
        "base_info": {
            "name": base.name,
            "engine_type": base.engine_type,
            "description": base.description,
            "enterprise_project_id": base.enterprise_project_id,
            "tags": [{"key": tag.key, "value": tag.value} for tag in base.tags],
        },
        "target_db_info": {
            "target_instance_id": target.target_instance_id,
            "ms_file_stream_status": target.ms_file_stream_status,
            "file_id": target.file_id,
        },
        "options": {
            "is_cover": options.is_cover,
            "is_default_restore": options.is_default_restore,
            "is_last_backup": options.is_last_backup,
            "is_precheck": options.is_precheck,
            "is_delete_backup_file": options.is_delete_backup_file,
            "recovery_mode": options.recovery_mode,
            "db_names": list(options.db_names),
            "reset_db_name_map": dict(options.reset_db_name_map),
            "consistency_check_mode": options.consistency_check_mode,
        },
        "new_db_names": new_db_names,
        "instance_name": job.instance_name,
        "error_log": job.error_log,
    }


def summary_to_api(job: JobSummary) -> dict[str, Any]:
    """One list item (`SUMMARY_FIELDS`), normalised like `job_to_api`."""
    return _summary(lambda name: getattr(job, name))


# A mirror row's column for each of the list item's fields.
MIRROR_COLUMNS: dict[str, str] = {name: name for name in SUMMARY_FIELDS} | {"id": "job_id"}


def mirrored_to_api(row: MirroredJob | dict[str, Any]) -> dict[str, Any]:
    """A mirror row (a model, or a dict of its `MIRROR_COLUMNS` from `.values()`) as the list
    item it was seen as (`SUMMARY_FIELDS`): the web exports and the API."""
    if isinstance(row, dict):
        return _summary(lambda name: row[MIRROR_COLUMNS[name]])
    return _summary(lambda name: getattr(row, MIRROR_COLUMNS[name]))


def _summary(get) -> dict[str, Any]:
    item = {name: get(name) for name in SUMMARY_FIELDS}
    item["create_time"] = iso_utc(item["create_time"])
    item["finish_time"] = iso_utc(item["finish_time"])
    return item
