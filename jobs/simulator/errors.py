"""SQL Server restore failures as DRS reports them in `error_log`.

Message texts are SQL Server's own (sys.messages), with the placeholders filled in. DRS has been
seen to pass them on both with and without the `Msg N, Level L, State S, Line 1` line, so every
failure renders either way. Log-restore failures (4305, 4326, 4330, 3117) belong to incremental
jobs and name `.trn` files; the others to full restores of `.bak` files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

BACKUP_DIR = "D:\\RDSDBDATA\\Backup\\"
DATA_DIR = "D:\\RDSDBDATA\\DATA\\"


@dataclass(frozen=True)
class Message:
    number: int
    state: int
    text: str
    level: int = 16


def render(messages: list[Message], prefixed: bool = True) -> str:
    lines: list[str] = []
    for message in messages:
        if prefixed:
            lines.append(
                f"Msg {message.number}, Level {message.level}, State {message.state}, Line 1"
            )
        lines.append(message.text)
    return "\n".join(lines)


def terminating(statement: str = "RESTORE DATABASE") -> Message:
    return Message(3013, 1, f"{statement} is terminating abnormally.")


def _planning() -> Message:
    return Message(
        3119,
        1,
        "Problems were identified while planning for the RESTORE statement. "
        "Previous messages provide details.",
    )


def _cannot_restore_to(db: str, path: str, state: int) -> Message:
    return Message(
        3156,
        state,
        f"File '{db}' cannot be restored to '{path}'. "
        "Use WITH MOVE to identify a valid location for the file.",
    )


# --- full restores (.bak) -------------------------------------------------------------------


def cannot_open(db: str, file_name: str) -> list[Message]:
    return [
        Message(
            3201,
            2,
            f"Cannot open backup device '{BACKUP_DIR}{file_name}'. "
            "Operating system error 2(The system cannot find the file specified.).",
        ),
        terminating(),
    ]


def media_family(db: str, file_name: str) -> list[Message]:
    return [
        Message(
            3241,
            0,
            f"The media family on device '{BACKUP_DIR}{file_name}' is incorrectly formed. "
            "SQL Server cannot process this media family.",
        ),
        terminating(),
    ]


def other_database(db: str, file_name: str) -> list[Message]:
    return [
        Message(
            3154,
            4,
            f"The backup set holds a backup of a database other than the existing '{db}' database.",
        ),
        terminating(),
    ]


def directory_lookup(db: str, file_name: str) -> list[Message]:
    path = f"E:\\SQLData\\{db}.mdf"
    return [
        Message(
            5133,
            1,
            f'Directory lookup for the file "{path}" failed with the operating '
            "system error 3(The system cannot find the path specified.).",
        ),
        _cannot_restore_to(db, path, 3),
        _planning(),
        terminating(),
    ]


def access_denied(db: str, file_name: str) -> list[Message]:
    path = f"{DATA_DIR}{db}.mdf"
    return [
        Message(
            3634,
            1,
            "The operating system returned the error '5(Access is denied.)' while attempting "
            f"'RestoreContainer::ValidateTargetForCreation' on '{path}'.",
        ),
        _cannot_restore_to(db, path, 8),
        _planning(),
        terminating(),
    ]


def file_in_use(db: str, file_name: str) -> list[Message]:
    path = f"{DATA_DIR}{db}.mdf"
    return [
        Message(
            1834,
            1,
            f"The file '{path}' cannot be overwritten.  It is being used by database '{db}_old'.",
        ),
        _cannot_restore_to(db, path, 4),
        terminating(),
    ]


def file_exists(db: str, file_name: str) -> list[Message]:
    return [
        Message(
            5170,
            1,
            f"Cannot create file '{DATA_DIR}{db}_log.ldf' because it already exists. "
            "Change the file path or the file name, and retry the operation.",
        ),
        Message(
            1802,
            4,
            "CREATE DATABASE failed. Some file names listed could not be created. "
            "Check related errors.",
        ),
    ]


def disk_space(db: str, file_name: str) -> list[Message]:
    return [
        Message(
            3257,
            1,
            "There is insufficient free space on disk volume 'D:\\' to create the database. "
            "The database requires 536870912000 additional free bytes, while only 107374182400 "
            "bytes are available.",
        ),
        Message(
            3119,
            4,
            "Problems were identified while planning for the RESTORE statement. "
            "Previous messages provide details.",
        ),
        terminating(),
    ]


def newer_version(db: str, file_name: str) -> list[Message]:
    return [
        Message(
            3169,
            1,
            "The database was backed up on a server running version 16.00.4135. That version is "
            "incompatible with this server, which is running version 15.00.4365. Either restore "
            "the database on a server that supports the backup, or use a backup that is "
            "compatible with this server.",
        ),
        terminating(),
    ]


# --- log restores (.trn), incremental jobs only ---------------------------------------------


def lsn_too_recent(db: str, file_name: str) -> list[Message]:
    return [
        Message(
            4305,
            1,
            "The log in this backup set begins at LSN 37000000040800001, which is too recent to "
            "apply to the database. An earlier log backup that includes LSN 37000000038400001 "
            "can be restored.",
        ),
        terminating("RESTORE LOG"),
    ]


def lsn_too_early(db: str, file_name: str) -> list[Message]:
    return [
        Message(
            4326,
            1,
            "The log in this backup set terminates at LSN 9000000026200001, which is too early "
            "to apply to the database. A more recent log backup that includes LSN "
            "9000000028900001 can be restored.",
        ),
        terminating("RESTORE LOG"),
    ]


def recovery_path(db: str, file_name: str) -> list[Message]:
    return [
        Message(
            4330,
            1,
            "This backup set cannot be applied because it is on a recovery path that is "
            "inconsistent with the database. The recovery path is the sequence of data and log "
            "backups that have brought the database to a particular recovery point. Find a "
            "compatible backup to restore, or restore the rest of the database to match a "
            "recovery point within this backup set, which will restore the database to a "
            "different point in time. For more information about recovery paths, see SQL "
            "Server Books Online.",
        ),
        terminating("RESTORE LOG"),
    ]


def nothing_to_roll_forward(db: str, file_name: str) -> list[Message]:
    return [
        Message(
            3117,
            1,
            "The log or differential backup cannot be restored because no files are ready to "
            "rollforward.",
        ),
        terminating("RESTORE LOG"),
    ]


Failure = Callable[[str, str], list[Message]]
FULL_FAILURES: tuple[Failure, ...] = (
    cannot_open,
    media_family,
    other_database,
    directory_lookup,
    access_denied,
    file_in_use,
    file_exists,
    disk_space,
    newer_version,
)
LOG_FAILURES: tuple[Failure, ...] = (
    lsn_too_recent,
    lsn_too_early,
    recovery_path,
    nothing_to_roll_forward,
)


def obs_download(file_name: str) -> str:
    """Not SQL Server's: DRS's own message when it cannot fetch the file."""
    return (
        f"Failed to download backup file {file_name} from OBS: "
        "Status=403, Code=AccessDenied, Message=Access Denied. "
        "Check the bucket policy and the agency authorization of DRS."
    )
