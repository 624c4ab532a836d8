"""A job's facts in words, once, for the job page and `manage.py jobs show`.

Sections of labelled facts; each value carries its kind (text, code, a list of codes, a time,
an elapsed clock) so the page can mark it up and the terminal can print it plainly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _

from jobs.drs import Job, JobStatus
from jobs.job_page.formatting import human_bytes, human_duration, yes_no

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
    o = job.options
    warnings = []
    if o.is_cover:
        warnings.append(
            _(
                "Overwrite is on: DRS turns off the target's high availability (primary/standby) "
                "while an overwrite job runs."
            )
        )
    if job.is_failed and o.is_cover:
        warnings.append(
            _(
                "A failed overwrite may have left the old database dropped or in RESTORING state: "
                "check the instance before anyone uses it."
            )
        )
    warnings = tuple(warnings)
    if not job.status and not job.is_terminal:
        return DatabaseState(
            "unknown", _("Unknown — DRS did not say what state the job is in."), warnings=warnings
        )
    if not job.is_terminal:
        return DatabaseState("running", _("RESTORING — the restore is running."), warnings=warnings)
    if job.status == JobStatus.PRECHECK_FAILED:
        return DatabaseState(
            "failed",
            _("Unchanged — the pre-check failed before anything was restored."),
            warnings=warnings,
        )
    if job.is_failed:
        return DatabaseState(
            "failed",
            _("Not restored — the restore failed."),
            _("A database it had started may be left in RESTORING state on the instance."),
            warnings,
        )
    if job.status == JobStatus.SUCCESS and o.is_last_backup:
        return DatabaseState(
            "ok", _("ONLINE — the databases are recovered and usable."), warnings=warnings
        )
    if job.status == JobStatus.SUCCESS and o.is_last_backup is False:
        return DatabaseState(
            "waiting",
            _("RESTORING — waiting for the next backup in the chain."),
            _(
                "This job restored with NORECOVERY: the databases stay unusable until a job "
                "with “last backup” set restores the final backup."
            ),
            warnings,
        )
    return DatabaseState(
        "unknown",
        _("Unknown — DRS did not say whether this was the last backup."),
        warnings=warnings,
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
        about = {"count": count, "total": human_bytes(total)}
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
        Fact(_("FILESTREAM enabled on target"), _filestream(target.ms_file_stream_status)),
    ]
    if job.backup_info.file_source.upper() == "RDS":
        facts.append(Fact(_("RDS backup file id"), target.file_id or _("not given"), CODE))
    return Section("target", _("Target instance"), tuple(facts))


def _filestream(value: str) -> str:
    words = {"true": True, "on": True, "1": True, "false": False, "off": False, "0": False}
    flag = words.get(value.strip().lower())
    if flag is None:
        return value or _("not given")
    return yes_no(flag)


RECOVERY_MODES = {"full": "full", "1": "full", "incre": "incre", "2": "incre"}


def recovery_mode(value: str) -> str:
    mode = RECOVERY_MODES.get(value.strip().lower())
    if mode == "full":
        return _("Full migration")
    if mode == "incre":
        return _("Incremental migration")
    return value or _("not given")


def _options(job: Job) -> Section:
    o = job.options
    facts = [
        Fact(_("Recovery mode"), recovery_mode(o.recovery_mode)),
        Fact(_("Last backup"), yes_no(o.is_last_backup), note=_last_backup_note(o.is_last_backup)),
        Fact(_("Overwrites the existing database"), yes_no(o.is_cover)),
        Fact(_("Pre-check before restoring"), yes_no(o.is_precheck)),
        Fact(_("Deletes the downloaded backup file afterwards"), yes_no(o.is_delete_backup_file)),
        Fact(
            _("Consistency check (DBCC)"),
            {"sync": _("synchronous"), "async": _("asynchronous")}.get(
                o.consistency_check_mode.lower(), o.consistency_check_mode or _("not given")
            ),
            note=_("What this mode changes in the job's timing is not documented by DRS.")
            if o.consistency_check_mode
            else "",
        ),
        _databases(o),
    ]
    for old, new in o.reset_db_name_map:
        facts.append(Fact(_("Renamed"), f"{old or _('the database in the backup')} → {new}", CODE))
    if job.new_db_names is None:
        facts.append(Fact(_("New database names"), job.new_db_names_raw or _("not given"), CODE))
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


def _databases(o) -> Fact:
    label = _("Databases to restore")
    if o.is_default_restore and o.db_names:
        return Fact(
            label, o.db_names, CODES, note=_("all databases in the backup (names given too)")
        )
    if o.is_default_restore:
        return Fact(label, _("all databases in the backup"))
    if o.db_names:
        return Fact(label, o.db_names, CODES)
    return Fact(label, _("none given"))


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
