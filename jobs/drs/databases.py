"""Which databases a job restores, and into which instance (drs-api.md §10).

A name the job's options give (`reset_db_name_map`'s value, `new_db_names`, `db_names`) is a
fact; a name read from a backup file's name is a guess (`inferred`). File names seen in the
field: `<epoch ms>_<n>_<db>.bak` (the documented example), `<db>_FULL_<date>.bak`,
`<db>_DIFF_<stamp>.bak`, `<db>_LOG_<stamp>_<n>.trn`; anything else gives its stem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jobs.drs.models import Job

MAX_NAME = 128  # SQL Server's sysname

_EXAMPLE = re.compile(r"^\d{10,14}_\d+_(?P<db>.+)$")
_KIND = re.compile(r"^(?P<db>.+?)_(?:FULL|DIFF|LOG|BACKUP)(?:_.*)?$", re.IGNORECASE)
_EXTENSIONS = (".bak", ".trn", ".dif", ".diff", ".log")


@dataclass(frozen=True, slots=True)
class Restore:
    """What one job does to one database."""

    target_instance_id: str
    database: str
    inferred: bool  # read from a file name, not from the job's options


@dataclass(frozen=True, slots=True)
class StepFacts:
    """The facts about a job that place it in its chains."""

    restores: tuple[Restore, ...]
    full: bool  # a full restore (recovery_mode `full`), else incremental
    last_backup: bool | None  # is_last_backup: the cutover
    overwrite: bool | None  # is_cover
    bucket: str
    file_count: int
    first_file: str
    last_file: str


def database_from_file(name: str) -> str:
    """The database a backup file's name suggests; "" when it suggests none."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem = base
    for extension in _EXTENSIONS:
        if base.lower().endswith(extension):
            stem = base[: -len(extension)]
            break
    for pattern in (_EXAMPLE, _KIND):
        match = pattern.match(stem)
        if match:
            stem = match["db"]
            break
    return stem.strip()[:MAX_NAME]


def named_databases(job: Job) -> tuple[str, ...]:
    """The databases the job's options name, in order, without repeats; () when none do."""
    options = job.options
    renamed = tuple(value for _key, value in options.reset_db_name_map if value)
    for names in (renamed, job.new_db_names or (), options.db_names):
        clean = tuple(dict.fromkeys(n.strip()[:MAX_NAME] for n in names if n and n.strip()))
        if clean:
            return clean
    return ()


def facts(job: Job) -> StepFacts | None:
    """The job's place in its chains; None without a target instance (then it is in none)."""
    target = job.target_db_info.target_instance_id.strip()[:64]
    if not target:
        return None
    files = job.backup_info.files
    named = named_databases(job)
    if named:
        restores = tuple(Restore(target, name, False) for name in named)
    else:
        guessed = dict.fromkeys(database_from_file(f.name) for f in files)
        restores = tuple(Restore(target, name, True) for name in guessed if name)
    return StepFacts(
        restores=restores,
        full=job.options.recovery_mode != "incre",
        last_backup=job.options.is_last_backup,
        overwrite=job.options.is_cover,
        bucket=job.backup_info.bucket_name[:63],
        file_count=len(files),
        first_file=files[0].name[:255] if files else "",
        last_file=files[-1].name[:255] if files else "",
    )
