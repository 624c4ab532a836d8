"""Typed, immutable views of DRS responses. Parsing never raises: odd fields become None/empty."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from jobs.drs.errors import BadUpstreamResponse
from jobs.drs.status import JobStatus
from jobs.lib.terminal import safe

# The known statuses by name, and those JobStatus calls terminal and failed (the mirror's
# queries filter on these sets: `jobs.mirror.models.MirroredJobQuerySet`).
TRANSFERRING = JobStatus.TRANSFERRING
SUCCESS = JobStatus.SUCCESS
FAILED = JobStatus.FAILED
PRECHECK_FAILED = JobStatus.PRECHECK_FAILED
KNOWN_STATUSES = (TRANSFERRING, SUCCESS, FAILED, PRECHECK_FAILED)
TERMINAL_STATUSES = frozenset(s for s in KNOWN_STATUSES if s.is_terminal)
FAILED_STATUSES = frozenset(s for s in KNOWN_STATUSES if s.is_failed)


def normalise_status(value: Any) -> JobStatus:
    return JobStatus(value)


def is_terminal(status: str) -> bool:
    """By status alone: SUCCESS or any FAILED. A job with a finish time is terminal anyway."""
    return JobStatus(status).is_terminal


# Job ids look like UUIDs but are not hex (`…-190c0abjb703`): letters, digits, hyphens.
JOB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")

# -- lenient field readers ---------------------------------------------------------------


def _text(value: Any) -> str:
    """Upstream text, with control, escape and bidi characters written out visibly (`\\x1b`,
    `\\u202e`) so that no page, export or terminal interprets them; tab, LF and CR stay."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return safe(value, keep="\t\n\r")


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(_text(item) for item in value if item is not None)


def _name_list(value: Any) -> tuple[str, ...]:
    """A list of names, or the same names in one comma-separated string."""
    if isinstance(value, str):
        return tuple(name.strip() for name in value.split(",") if name.strip())
    return _strings(value)


def _count(value: Any) -> int | None:
    """A non-negative int, also from a digit string; else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 0 else None
    text = value.strip() if isinstance(value, str) else ""
    return int(text) if text.isdigit() and text.isascii() and len(text) <= 18 else None


INVALID_JSON: Any = object()


def loads(text: str | bytes) -> Any:
    """json.loads answering INVALID_JSON for anything it cannot decode, deep nesting included."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return INVALID_JSON


def _dumps(data: Any) -> str:
    try:
        return json.dumps(data, ensure_ascii=False)
    except (ValueError, TypeError, RecursionError):
        return "{}"


# Any time outside this window is a placeholder or garbage: epoch 0 means "not set", and years
# near 1 or 9999 would overflow as soon as someone shifts them into a time zone.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
_EPOCH_NUMBER = re.compile(r"\d{1,20}(?:\.\d{1,9})?")
_MILLISECONDS_FROM = 100_000_000_000  # as seconds the year 5138, as milliseconds 1973


def parse_time(value: Any) -> datetime | None:
    """ISO 8601, epoch seconds or epoch milliseconds (numbers or strings) → aware UTC datetime
    within 1970–2200; anything else → None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _from_epoch(value)
    text = _text(value).strip()
    if _EPOCH_NUMBER.fullmatch(text):
        return _from_epoch(float(text))
    try:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return _plausible(parsed.astimezone(UTC))
    except (ValueError, OverflowError):
        return None


def _from_epoch(number: float) -> datetime | None:
    try:
        seconds = number / 1000 if number >= _MILLISECONDS_FROM else float(number)
        if not _EARLIEST_SECONDS < seconds < _LATEST_SECONDS:
            return None
        return _plausible(datetime.fromtimestamp(seconds, tz=UTC))
    except (OverflowError, OSError, ValueError):
        return None


_EARLIEST_SECONDS = EARLIEST.timestamp()
_LATEST_SECONDS = LATEST.timestamp()


def _plausible(moment: datetime) -> datetime | None:
    return moment if EARLIEST < moment < LATEST else None


parse_epoch_ms = parse_time  # the old name: `"1706511360000"` → 2024-01-29T06:56:00Z

_RECOVERY_MODES = {"1": "full", "2": "incre", "full": "full", "incre": "incre"}


def parse_recovery_mode(value: Any) -> str:
    """`full`/`incre`, also from the numeric codes 1 and 2; anything else as received."""
    text = _text(value).strip()
    return _RECOVERY_MODES.get(text.lower(), text)


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGTP]?)(?:I?B)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4, "P": 1024**5}


def parse_size(value: Any) -> int | None:
    """`"704KB"` → 720896, `"12.4GB"` → bytes (binary units, as RDS reports them); else None."""
    match = _SIZE.match(_text(value))
    if not match:
        return None
    number, unit = match.groups()
    try:
        return round(float(number) * _UNITS[unit.upper()])
    except OverflowError:  # "9999…9KB": not a size anyone has
        return None


def parse_name_list(value: Any) -> tuple[str, ...] | None:
    """`new_db_names` is a JSON list inside a string; None when it cannot be decoded."""
    if isinstance(value, list):
        return _strings(value)
    decoded = loads(_text(value))
    return _strings(decoded) if isinstance(decoded, list) else None


# -- the detail response ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BackupFile:
    name: str
    size_text: str
    size_bytes: int | None
    last_modified: datetime | None
    last_modified_raw: str

    @classmethod
    def parse(cls, data: dict[str, Any]) -> BackupFile:
        return cls(
            name=_text(data.get("file_name")),
            size_text=_text(data.get("file_size")),
            size_bytes=parse_size(data.get("file_size")),
            last_modified=parse_time(data.get("file_last_modify")),
            last_modified_raw=_text(data.get("file_last_modify")),
        )


@dataclass(frozen=True, slots=True)
class BackupInfo:
    """`file_info` holds the items as received; `files` parses them on first use (a job may list
    hundreds of log backups that a status poll never looks at)."""

    file_source: str = ""
    bucket_name: str = ""
    file_info: tuple[Any, ...] = field(default=(), repr=False)
    _files: tuple[BackupFile, ...] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @classmethod
    def parse(cls, data: dict[str, Any]) -> BackupInfo:
        file_info = data.get("file_info")
        return cls(
            file_source=_text(data.get("file_source")),
            bucket_name=_text(data.get("bucket_name")),
            file_info=tuple(file_info) if isinstance(file_info, list) else (),
        )

    @property
    def files(self) -> tuple[BackupFile, ...]:
        if self._files is None:
            files = tuple(BackupFile.parse(item) for item in _objects(list(self.file_info)))
            object.__setattr__(self, "_files", files)
        return self._files  # type: ignore[return-value]

    @property
    def file_count(self) -> int:
        return sum(1 for item in self.file_info if isinstance(item, dict))

    @property
    def total_bytes(self) -> int | None:
        """The sum of the sizes, or None if any size could not be read."""
        sizes = [f.size_bytes for f in self.files]
        return None if None in sizes else sum(sizes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Tag:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class BaseInfo:
    name: str = ""
    engine_type: str = ""
    description: str = ""
    enterprise_project_id: str = ""
    tags: tuple[Tag, ...] = ()

    @classmethod
    def parse(cls, data: dict[str, Any]) -> BaseInfo:
        return cls(
            name=_text(data.get("name")),
            engine_type=_text(data.get("engine_type")),
            description=_text(data.get("description")),
            enterprise_project_id=_text(data.get("enterprise_project_id")),
            tags=tuple(
                Tag(_text(t.get("key")), _text(t.get("value"))) for t in _objects(data.get("tags"))
            ),
        )


@dataclass(frozen=True, slots=True)
class TargetDbInfo:
    target_instance_id: str = ""
    ms_file_stream_status: str = ""
    file_id: str = ""

    @classmethod
    def parse(cls, data: dict[str, Any]) -> TargetDbInfo:
        return cls(
            target_instance_id=_text(data.get("target_instance_id")),
            ms_file_stream_status=_text(data.get("ms_file_stream_status")),
            file_id=_text(data.get("file_id")),
        )


@dataclass(frozen=True, slots=True)
class RestoreOptions:
    is_cover: bool | None = None
    is_default_restore: bool | None = None
    is_last_backup: bool | None = None
    is_precheck: bool | None = None
    is_delete_backup_file: bool | None = None
    recovery_mode: str = ""
    db_names: tuple[str, ...] = ()
    reset_db_name_map: tuple[tuple[str, str], ...] = ()
    consistency_check_mode: str = ""

    @classmethod
    def parse(cls, data: dict[str, Any]) -> RestoreOptions:
        return cls(
            is_cover=_flag(data.get("is_cover")),
            is_default_restore=_flag(data.get("is_default_restore")),
            is_last_backup=_flag(data.get("is_last_backup")),
            is_precheck=_flag(data.get("is_precheck")),
            is_delete_backup_file=_flag(data.get("is_delete_backup_file")),
            recovery_mode=parse_recovery_mode(data.get("recovery_mode")),
            db_names=_name_list(data.get("db_names")),
            reset_db_name_map=tuple(
                (_text(k), _text(v)) for k, v in _object(data.get("reset_db_name_map")).items()
            ),
            consistency_check_mode=_text(data.get("consistency_check_mode")),
        )


@dataclass(frozen=True, slots=True)
class Job:
    """One backup migration job from the detail endpoint; `raw_json` is the body as received."""

    id: str
    status: JobStatus
    status_raw: str
    create_time: datetime | None
    finish_time: datetime | None
    backup_info: BackupInfo
    base_info: BaseInfo
    target_db_info: TargetDbInfo
    options: RestoreOptions
    new_db_names: tuple[str, ...] | None
    new_db_names_raw: str
    instance_name: str
    error_log: str
    raw_json: str = field(repr=False)
    request_id: str = ""

    @classmethod
    def parse(cls, data: Any, raw_json: str | None = None, request_id: str = "") -> Job:
        data = _object(data)
        return cls(
            id=_text(data.get("id")),
            status=JobStatus(_text(data.get("status"))),
            status_raw=_text(data.get("status")),
            create_time=parse_time(data.get("create_time")),
            finish_time=parse_time(data.get("finish_time")),
            backup_info=BackupInfo.parse(_object(data.get("backup_info"))),
            base_info=BaseInfo.parse(_object(data.get("base_info"))),
            target_db_info=TargetDbInfo.parse(_object(data.get("target_db_info"))),
            options=RestoreOptions.parse(_object(data.get("options"))),
            new_db_names=parse_name_list(data.get("new_db_names")),
            new_db_names_raw=_text(data.get("new_db_names")),
            instance_name=_text(data.get("instance_name")),
            error_log=_text(data.get("error_log")),
            raw_json=raw_json if raw_json is not None else _dumps(data),
            request_id=request_id,
        )

    @classmethod
    def parse_json(cls, text: str, request_id: str = "") -> Job:
        """From a stored body; text that is not a JSON object gives an empty job. JSON nested
        too deeply to decode raises BadUpstreamResponse, as the client does."""
        try:
            data = json.loads(text)
        except RecursionError:
            raise BadUpstreamResponse("JSON nested too deeply", request_id=request_id) from None
        except ValueError:
            data = {}
        return cls.parse(data, raw_json=text, request_id=request_id)

    @property
    def raw(self) -> dict[str, Any]:
        """The body as received, decoded; {} if it is not a JSON object."""
        return _object(loads(self.raw_json))

    @property
    def name(self) -> str:
        return self.base_info.name

    @property
    def is_terminal(self) -> bool:
        """A finish time wins over whatever the status says (drs-api.md §2)."""
        return self.finish_time is not None or self.status.is_terminal

    @property
    def is_failed(self) -> bool:
        return self.status.is_failed

    def duration(self, now: datetime | None = None) -> timedelta | None:
        """Finished jobs: create → finish. Running jobs: elapsed until `now`."""
        return _duration(self.create_time, self.finish_time, self.is_terminal, now)


# -- the list response ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobSummary:
    """One item of the list endpoint: no files, target or options."""

    id: str
    name: str
    status: JobStatus
    status_raw: str
    engine_type: str
    description: str
    error_log: str
    create_time: datetime | None
    finish_time: datetime | None
    enterprise_project_id: str
    raw_json: str = field(repr=False)

    @classmethod
    def parse(cls, data: dict[str, Any]) -> JobSummary:
        return cls(
            id=_text(data.get("id")),
            name=_text(data.get("name")),
            status=JobStatus(_text(data.get("status"))),
            status_raw=_text(data.get("status")),
            engine_type=_text(data.get("engine_type")),
            description=_text(data.get("description")),
            error_log=_text(data.get("error_log")),
            create_time=parse_time(data.get("create_time")),
            finish_time=parse_time(data.get("finish_time")),
            enterprise_project_id=_text(data.get("enterprise_project_id")),
            raw_json=_dumps(data),
        )

    @property
    def is_terminal(self) -> bool:
        """A finish time wins over whatever the status says (drs-api.md §2)."""
        return self.finish_time is not None or self.status.is_terminal

    @property
    def is_failed(self) -> bool:
        return self.status.is_failed

    def duration(self, now: datetime | None = None) -> timedelta | None:
        return _duration(self.create_time, self.finish_time, self.is_terminal, now)


@dataclass(frozen=True, slots=True)
class JobPage:
    """One page of the list. `skipped` items were not objects or had no usable id; `count` is
    the upstream total, or `offset + received` when it was missing (`count_reported` False)."""

    count: int
    jobs: tuple[JobSummary, ...]
    limit: int
    offset: int
    request_id: str = ""
    skipped: int = 0
    count_reported: bool = True

    @classmethod
    def parse(cls, data: Any, limit: int, offset: int, request_id: str = "") -> JobPage:
        data = _object(data)
        items = data.get("jobs")
        items = items if isinstance(items, list) else []
        jobs = tuple(JobSummary.parse(item) for item in items if _has_job_id(item))
        count = _count(data.get("count"))
        return cls(
            count=count if count is not None else offset + len(items),
            jobs=jobs,
            limit=limit,
            offset=offset,
            request_id=request_id,
            skipped=len(items) - len(jobs),
            count_reported=count is not None,
        )

    @property
    def received(self) -> int:
        """Items on the page as sent, skipped ones included: what the next offset adds."""
        return len(self.jobs) + self.skipped


def _has_job_id(item: Any) -> bool:
    job_id = item.get("id") if isinstance(item, dict) else None
    return isinstance(job_id, str) and JOB_ID.fullmatch(job_id) is not None


def _duration(
    start: datetime | None, end: datetime | None, terminal: bool, now: datetime | None
) -> timedelta | None:
    if start is None:
        return None
    if end is None:
        if terminal:
            return None
        end = now or datetime.now(UTC)
    return max(end - start, timedelta(0))
