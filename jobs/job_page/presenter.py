"""A job's facts in words, once, for the job page and `manage.py jobs show`.

Sections of labelled facts; each value carries its kind (text, code, a list of codes, a time,
an elapsed clock) so the page can mark it up and the terminal can print it plainly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _

from jobs.drs import Job, JobStatus
from jobs.job_page.formatting import file_size, human_duration, yes_no

TEXT, CODE, CODES, TIME, ELAPSED = "text", "code", "codes", "time", "elapsed"
ENGINES = {"sqlserver": "SQL Server"}


@dataclass(frozen=True)
class Fact:
    label: str
    value: object  # str for TEXT/CODE/ELAPSED, tuple[str, ...] for CODES, datetime | None for TIME
    kind: str = TEXT
    note: str = ""


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    facts: tuple[Fact, ...]


@dataclass(frozen=True)
class DatabaseState:
    """What the restored databases are now, as a DBA would check on the instance."""

    tone: str  # "ok", "waiting", "running", "failed", "unknown"
    headline: str
    detail: str = ""
    warnings: tuple[str, ...] = field(default=())


def summary(job: Job, now: datetime | None = None) -> tuple[Fact, ...]:
    """The header's facts under the name and status."""
    running = not job.is_terminal
    duration = human_duration(job.duration(now))
    return (
        Fact(_("Engine"), engine(job.base_info.engine_type)),
        Fact(_("Created"), job.create_time, TIME),
        Fact(_("Finished"), _("still running"), TEXT)
        if running
        else Fact(_("Finished"), job.finish_time, TIME),
        Fact(_("Elapsed"), duration, ELAPSED if job.create_time else TEXT)
        if running
        else Fact(_("Duration"), duration),
    )


def engine(value: str) -> str:
    return ENGINES.get(value.strip().lower(), value) or "—"


def database_state(job: Job) -> DatabaseState:
    """The databases' state and the warnings that hold for this job now: a pre-check that
    failed restored nothing (no overwrite warning); high availability is off only while an
    overwrite runs, and said in the past tense once it ended."""
    state = _state(job)
    return DatabaseState(state.tone, state.headline, state.detail, _warnings(job))


def _warnings(job: Job) -> tuple[str, ...]:
    o = job.options
    if not o.is_cover or job.status == JobStatus.PRECHECK_FAILED:
        return ()
    if not job.is_terminal:
        return (
            _(
                "Overwrite is on: DRS turns off the target's high availability (primary/standby) "
                "while this job runs."
            ),
        )
    warnings = [
        _(
            "This job overwrote the existing database: DRS turned off the target's high "
            "availability (primary/standby) while it ran. Check that it is on again."
        )
    ]
    if job.is_failed:
        warnings.append(
            _(
                "A failed overwrite may have left the old database dropped or in RESTORING "
                "state: check the instance before anyone uses it."
            )
        )
    return tuple(warnings)


def _state(job: Job) -> DatabaseState:
    o = job.options
    if not job.status and not job.is_terminal:
        return DatabaseState("unknown", _("Unknown — DRS did not say what state the job is in."))
    if not job.is_terminal:
        return DatabaseState("running", _("RESTORING — the restore is running."))
    if job.status == JobStatus.PRECHECK_FAILED:
        return DatabaseState(
            "failed", _("Unchanged — the pre-check failed before anything was restored.")
        )
    if job.is_failed:
        detail = (
            ""  # the overwrite warning says what may be left
            if o.is_cover
            else _("A database it had started may be left in RESTORING state on the instance.")
        )
        return DatabaseState("failed", _("Not restored — the restore failed."), detail)
    if job.status == JobStatus.SUCCESS and o.is_last_backup:
        return DatabaseState("ok", _("ONLINE — the databases are recovered and usable."))
    if job.status == JobStatus.SUCCESS and o.is_last_backup is False:
        return DatabaseState(
            "waiting",
            _("RESTORING — waiting for the next backup in the chain."),
            _(
                "This job restored with NORECOVERY: the databases stay unusable until a job "
                "with “last backup” set restores the final backup."
            ),
        )
    return DatabaseState(
        "unknown", _("Unknown — DRS did not say whether this was the last backup.")
    )


def sections(job: Job) -> tuple[Section, ...]:
    return (_files(job), _target(job), _options(job), _basic(job))


def _files(job: Job) -> Section:
    backup = job.backup_info
    source = {"OBS": _("OBS bucket"), "RDS": _("RDS backup")}.get(backup.file_source.upper())
    count = len(backup.files)
    facts = [Fact(_("Source"), source or backup.file_source or "—")]
    if backup.bucket_name:
        facts.append(Fact(_("Bucket"), backup.bucket_name, CODE))
    total = backup.total_bytes
    if count and total is not None:
        about = {"count": count, "total": file_size(total)}
        estimate = _("an estimate: DRS does not say whether its sizes count in 1000s or 1024s")
        facts.append(
            Fact(_("Files"), _("%(count)d, about %(total)s in total") % about, note=estimate)
        )
    else:
        facts.append(Fact(_("Files"), str(count)))
    return Section("files", _("Backup files"), tuple(facts))


def _target(job: Job) -> Section:
    target = job.target_db_info
    facts = [
        Fact(_("Instance id"), target.target_instance_id or "—", CODE),
        Fact(_("Instance name"), job.instance_name or "—"),
        Fact(_("FILESTREAM on the target"), _filestream(target.ms_file_stream_status)),
    ]
    if job.backup_info.file_source.upper() == "RDS":
        if target.file_id:
            facts.append(Fact(_("RDS backup file id"), target.file_id, CODE))
        else:
            facts.append(Fact(_("RDS backup file id"), not_reported()))
    return Section("target", _("Target instance"), tuple(facts))


def _filestream(value: str) -> str:
    words = {"true": True, "on": True, "1": True, "false": False, "off": False, "0": False}
    flag = words.get(value.strip().lower())
    if flag is None:
        return value or not_reported()
    return _("on") if flag else _("off")


def not_reported() -> str:
    """A field DRS left out of its answer (every field is optional)."""
    return _("not reported by DRS")


def _flag(value: bool | None) -> str:
    return not_reported() if value is None else yes_no(value)


RECOVERY_MODES = {"full": "full", "1": "full", "incre": "incre", "2": "incre"}


def recovery_mode(value: str) -> str:
    mode = RECOVERY_MODES.get(value.strip().lower())
    if mode == "full":
        return _("Full migration")
    if mode == "incre":
        return _("Incremental migration")
    return value or not_reported()


def _consistency(value: str) -> str:
    """DRS's own word with ours: "asynchronous (async)"."""
    if not value:
        return _("not set for this job")
    words = {"sync": _("synchronous"), "async": _("asynchronous")}.get(value.strip().lower())
    return f"{words} ({value})" if words else value


def _options(job: Job) -> Section:
    o = job.options
    facts = [
        Fact(_("Recovery mode"), recovery_mode(o.recovery_mode)),
        Fact(_("Last backup"), _flag(o.is_last_backup), note=_last_backup_note(o.is_last_backup)),
        Fact(_("Overwrites the existing database"), _flag(o.is_cover)),
        Fact(_("Pre-check before restoring"), _flag(o.is_precheck)),
        Fact(_("Deletes the downloaded backup file afterwards"), _flag(o.is_delete_backup_file)),
        Fact(_("Consistency check (DBCC)"), _consistency(o.consistency_check_mode)),
        *_databases(o),
    ]
    for old, new in o.reset_db_name_map:
        facts.append(Fact(_("Renamed"), f"{old or _('the database in the backup')} → {new}", CODE))
    if job.new_db_names is None:
        raw = job.new_db_names_raw
        facts.append(Fact(_("New database names"), raw or not_reported(), CODE if raw else TEXT))
    else:
        names = job.new_db_names
        facts.append(Fact(_("New database names"), names or _("none"), CODES if names else TEXT))
    return Section("options", _("Restore options"), tuple(facts))


def _last_backup_note(value: bool | None) -> str:
    if value:
        return _("The databases are recovered (ONLINE) once this restore finishes.")
    if value is False:
        return _(
            "More backups are expected: the databases stay RESTORING, unusable, until the last "
            "backup is restored."
        )
    return ""


def _databases(o) -> tuple[Fact, ...]:
    """Which databases: all of the backup, or the ones named. Names sent along with "all" are
    shown on a line of their own, as the job lists them."""
    label = _("Databases to restore")
    if o.is_default_restore:
        facts = [Fact(label, _("all databases in the backup"))]
        if o.db_names:
            facts.append(Fact(_("Database names in the job"), o.db_names, CODES))
        return tuple(facts)
    if o.db_names:
        return (Fact(label, o.db_names, CODES),)
    return (Fact(label, _("none named in the job")),)


def _basic(job: Job) -> Section:
    base = job.base_info
    project = base.enterprise_project_id
    tags = tuple(f"{t.key}={t.value}" for t in base.tags)
    return Section(
        "basic",
        _("Basic information"),
        (
            Fact(_("Description"), base.description or "—"),
            Fact(_("Tags"), tags or "—", CODES if tags else TEXT),
            Fact(
                _("Enterprise project"),
                _("default (0)") if project == "0" else project or "—",
                TEXT if project in ("0", "") else CODE,
            ),
        ),
    )
