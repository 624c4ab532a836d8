"""Plain-language hints for well-known SQL Server restore errors found in a job's error log.

To add one: a pattern (searched case-insensitively in the whole log), a short title, and what to
check. Keep them about causes DBAs can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Hint:
    code: str
    pattern: re.Pattern
    title: str
    advice: str


def _hint(code: str, pattern: str, title, advice) -> Hint:
    return Hint(code, re.compile(pattern, re.IGNORECASE), title, advice)


HINTS: tuple[Hint, ...] = (
    _hint(
        "3201",
        r"\bMsg 3201\b|cannot open backup device",
        _("The backup file could not be opened"),
        _(
            "RDS could not read the .bak file: check that the file still exists in the OBS "
            "bucket under exactly this name, that the bucket is in the instance's region, and "
            "that the file finished uploading."
        ),
    ),
    _hint(
        "3241",
        r"\bMsg 3241\b|media family .* incorrectly formed",
        _("The backup file is damaged or incomplete"),
        _(
            "The media family is incorrectly formed: the upload was probably truncated, or the "
            "backup was taken by a newer SQL Server version. Upload the file again and compare "
            "its size and checksum with the source."
        ),
    ),
    _hint(
        "4305",
        r"\bMsg 43(05|26)\b|\bLSN\b.*too (early|late)|too recent to apply",
        _("The log backups are out of order"),
        _(
            "An incremental backup does not continue the log chain of the previous one. Restore "
            "the files in order (full, then each differential/log backup), without gaps, and do "
            "not mix chains from different full backups."
        ),
    ),
    _hint(
        "5133",
        r"\bMsg (5133|3634)\b|directory lookup for the file|operating system error 5\b",
        _("A database file path is not usable on the target"),
        _(
            "SQL Server could not create or open a data or log file at the path stored in the "
            "backup (directory lookup failed or access denied). Check the target instance's "
            "data directory permissions and that the backup does not point at paths it cannot use."
        ),
    ),
    _hint(
        "1834",
        r"\bMsg (1834|1802)\b|file .* cannot be overwritten|CREATE DATABASE failed",
        _("A database with these files already exists"),
        _(
            "The target already has a database using these file names. Restore under a new "
            "database name, or enable 'overwrite the existing database' if that is intended."
        ),
    ),
    _hint(
        "disk",
        r"insufficient (free )?disk space|not enough (free )?(disk )?space|\bMsg 3257\b|"
        r"\bMsg 1105\b",
        _("The target instance is out of disk space"),
        _(
            "The restored database does not fit. Extend the RDS instance's storage to at least "
            "the database's full size plus growth, or restore fewer databases, then retry."
        ),
    ),
    _hint(
        "3013",
        r"\bMsg 3013\b|terminating abnormally",
        _("The restore was aborted"),
        _(
            "Msg 3013 only says the RESTORE stopped; the message before it in the log names the "
            "cause."
        ),
    ),
    _hint(
        "version",
        r"version .* (is )?(later|newer|higher) than|incompatible with this server|"
        r"\bMsg 3169\b",
        _("The backup comes from a newer SQL Server version"),
        _(
            "SQL Server cannot restore a backup taken on a newer version. Use a target instance "
            "of the same or a later version, or back up from a version the target supports."
        ),
    ),
)

_MSG_NUMBER = re.compile(r"\bMsg (\d{3,5})\b")


def hints_for(error_log: str) -> list[Hint]:
    """The hints whose pattern occurs in the log, in the table's order."""
    if not error_log:
        return []
    return [hint for hint in HINTS if hint.pattern.search(error_log)]


def signature(error_log: str) -> str:
    """What a failure is grouped by: the first SQL Server message number, else the first line."""
    match = _MSG_NUMBER.search(error_log or "")
    if match:
        return f"Msg {match.group(1)}"
    first = next((line.strip() for line in (error_log or "").splitlines() if line.strip()), "")
    return re.sub(r"\d+", "N", first)[:120]
