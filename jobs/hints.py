"""Plain-language hints for well-known SQL Server restore errors found in a job's error log.

A log is read as a list of messages: SQL Server prints each one as a ``Msg N, Level L, State S,
Line 1`` header followed by one line of text (the SQL Server error log writes ``Error: N,
Severity: L, State: S.`` instead), and DRS adds lines of its own without any header. Every hint's
pattern is searched in each message on its own (header and text together, case-insensitively), so
an operating-system error number read out of one message never leaks into the hint of another.

To add a hint: a pattern that matches the message number (``_num``) or the message's own text
(``TEXT``, checked against Microsoft's "Database engine events and errors" list), a short title
and advice a DBA can act on. The table is ordered from the most specific cause to the most
generic one; ``unless`` hides a hint when a more specific one matched too (``"*"``: any other).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

_FLAGS = re.IGNORECASE | re.DOTALL


def _num(*numbers: int) -> str:
    """The message number as SQL Server and DRS print it: ``Msg 3201,``, ``Error: 3201,``,
    ``error 3201`` (never an operating-system error: ``Operating system error 5``)."""
    alternatives = "|".join(str(n) for n in numbers)
    return rf"(?<!system )\b(?:msg|error)[\s:#]*(?:{alternatives})\b"


# The text of each SQL Server message we recognise without its number (real logs often lack the
# "Msg N" header). Checked against learn.microsoft.com "Database engine events and errors".
TEXT: dict[int, str] = {
    824: r"logical consistency-based I/O error",
    905: r"cannot be started in this edition of SQL Server because it contains a partition",
    909: r"cannot be started in this edition of SQL Server because part or all of object",
    932: r"cannot load database .*? because change tracking is enabled",
    933: r"cannot be started because some of the database functionality is not available",
    934: r"cannot load database .*? because Change Data Capture is enabled",
    1105: r"could not allocate space for object .*? filegroup is full",
    1801: r"database .*? already exists\. choose a different database name",
    1802: r"CREATE DATABASE failed\. Some file names listed could not be created",
    1834: r"cannot be overwritten\.\s+It is being used by database",
    3013: r"\bis terminating abnormally",
    3014: r"successfully processed \d+ pages in",
    3041: r"BACKUP failed to complete the command",
    3101: r"exclusive access could not be obtained because the database is in use",
    3117: r"cannot be restored because no files are ready to rollforward",
    3119: r"problems were identified while planning for the RESTORE statement",
    3132: r"the media set has \d+ media families but only \d+ are provided",
    3136: r"differential backup cannot be restored because the database has not been restored "
    r"to the correct earlier state",
    3143: r"is not a SQL Server backup set",
    3154: r"backup set holds a backup of a database other than the existing",
    3156: r"cannot be restored to .*? Use WITH MOVE",
    3159: r"the tail of the log for the database .*? has not been backed up",
    3169: r"backed up on a server running version .*? incompatible with this server",
    3183: r"RESTORE detected an error on page",
    3189: r"damage to the backup set was detected",
    3201: r"cannot open backup device",
    3203: r"\bread on .*? failed",
    3208: r"unexpected end of file while reading beginning of backup set",
    3211: r"^\s*\d+ percent processed",
    3231: r"is formatted to support \d+ media families, but \d+ media families are expected",
    3241: r"the media family on device .*? is incorrectly formed",
    3242: r"is not a valid Microsoft Tape Format backup set",
    3256: r"was terminated while it was being created and is incomplete",
    3257: r"insufficient free space on disk volume",
    3266: r"the backup data at the end of .*? is incorrectly formatted",
    3634: r"the operating system returned the error .*? while attempting",
    4035: r"(?<!successfully )\bprocessed \d+ pages for database",
    4305: r"which is too recent to apply to the database",
    4319: r"a previous restore operation was interrupted",
    4326: r"which is too early to apply to the database",
    4330: r"on a recovery path that is inconsistent with the database",
    5120: r"unable to open the physical file",
    5133: r"directory lookup for the file .*? failed",
    5170: r"cannot create file .*? because it already exists",
    5591: r"FILESTREAM feature is disabled",
    33111: r"cannot find server (?:certificate|asymmetric key) with thumbprint",
    33117: r"Transparent Data Encryption is not available in the edition",
}

# Messages that never name the cause: progress, and the wrappers SQL Server prints after it.
INFORMATIONAL = frozenset({3014, 3211, 4035})
WRAPPERS = frozenset({3013, 3041, 3119})


def _sql(*numbers: int) -> str:
    """Any of these SQL Server messages, by number or by text."""
    return "|".join([_num(*numbers), *(TEXT[n] for n in numbers if n in TEXT)])


def _os_error(pattern: str, *codes: int, text: str) -> str:
    """A message matching ``pattern`` that carries one of these Windows error codes."""
    numbers = "|".join(str(c) for c in codes)
    return rf"(?:{pattern}).*?(?:\berror\s*'?(?:{numbers})\b|{text})"


@dataclass(frozen=True)
class Hint:
    code: str  # stable id (tests, logs); not shown
    pattern: re.Pattern  # searched in each message of the log
    title: str
    advice: str
    numbers: tuple[int, ...] = ()  # the SQL Server messages this hint explains, if any
    unless: tuple[str, ...] = ()  # hidden when one of these hints matched too ("*": any)


def _hint(code, pattern, title, advice, numbers=(), unless=()) -> Hint:
    return Hint(code, re.compile(pattern, _FLAGS), title, advice, tuple(numbers), tuple(unless))


_OBS = ("obs-denied", "obs-missing", "obs-storage-class", "obs-kms")
_3201 = _sql(3201)

HINTS: tuple[Hint, ...] = (
    # --- OBS: DRS could not fetch the file (DRS's own words; see docs/drs-api.md §9) ----------
    _hint(
        "obs-kms",
        r"\bKMS\b|SSE-KMS|server-side encryption|x-obs-server-side-encryption",
        _("The backup file is KMS-encrypted in OBS"),
        _(
            "DRS cannot read objects encrypted with KMS (server-side encryption). Upload the "
            ".bak again without KMS encryption, or copy it to an unencrypted object, then retry."
        ),
    ),
    _hint(
        "obs-storage-class",
        r"InvalidObjectState|storage class|\b(?:archive|deep archive|cold|warm|infrequent "
        r"access) (?:storage|object|class)",
        _("The backup file is not in the OBS Standard storage class"),
        _(
            "DRS only reads objects in the Standard storage class. Restore the object if it is "
            "archived, change its storage class to Standard (or upload it again as Standard), "
            "then retry."
        ),
    ),
    _hint(
        "obs-denied",
        r"\bAccessDenied\b|\bAccessForbidden\b|\bOBS\b.*?(?:\b403\b|access denied|forbidden)",
        _("DRS was denied access to the OBS bucket"),
        _(
            "OBS refused to hand the backup file to DRS. Check the bucket policy and ACLs, that "
            "DRS's agency (authorization) still allows reading this bucket, and that the bucket "
            "belongs to the same account and region as the RDS instance."
        ),
        unless=("obs-kms", "obs-storage-class"),
    ),
    _hint(
        "obs-missing",
        r"\bNoSuchKey\b|\bNoSuchBucket\b|\bOBS\b.*?(?:\b404\b|not found|does not exist)|"
        r"(?:backup file|object) .*?(?:was not found|does not exist) in (?:the )?(?:OBS|bucket)",
        _("The backup file is not in the OBS bucket"),
        _(
            "DRS found no object under this name. Check the exact object name (case, extension "
            "and folder prefix), that the upload finished, and that the bucket is in the same "
            "region as the RDS instance."
        ),
    ),
    _hint(
        "rds-backup-missing",
        r"RDS backup (?:file )?(?:does not exist|has expired|not found)",
        _("The RDS backup is no longer available"),
        _(
            "The selected RDS backup was deleted or is past its retention period. Choose "
            "another backup; a restore from an RDS backup only takes a full backup."
        ),
    ),
    _hint(
        "switchover",
        r"(?:primary/standby|primary-standby|master/slave|active/standby|HA) "
        r"(?:switchover|failover|switch)|\bswitchover\b|\bfailover\b",
        _("The target instance switched over during the job"),
        _(
            "A primary/standby switchover of the target instance interrupts the migration. Avoid "
            "switchovers, maintenance and instance changes while a job runs, check the "
            "instance's events, then run the job again from the full backup."
        ),
    ),
    # --- 3201: the OS error number says why the backup device could not be opened -------------
    _hint(
        "3201-missing",
        _os_error(_3201, 2, 3, text=r"cannot find the (?:file|path) specified"),
        _("The backup file could not be opened: it was not found"),
        _(
            "The .bak file was not where RESTORE looked for it (operating system error 2 or 3). "
            "Check that the object name in OBS matches the job's file name exactly (case, "
            "extension, folder prefix), that the upload finished, and that the file was not "
            "removed by an earlier job that deletes backup files afterwards."
        ),
        numbers=[3201],
        unless=_OBS,
    ),
    _hint(
        "3201-denied",
        _os_error(_3201, 5, text=r"access is denied"),
        _("The backup file could not be opened: access denied"),
        _(
            "SQL Server was denied access to the downloaded .bak file (operating system error "
            "5). This is about the backup file, not the database files: check that the object is "
            "not KMS-encrypted and that DRS may read the bucket, then retry. If it happens "
            "again, open a ticket with the job id: the instance's folders are managed by RDS."
        ),
        numbers=[3201],
        unless=_OBS,
    ),
    _hint(
        "3201-in-use",
        _os_error(_3201, 32, text=r"being used by another process"),
        _("The backup file could not be opened: it is in use"),
        _(
            "Another process held the .bak file open (operating system error 32), usually "
            "another job restoring the same file at the same time. Run one job per file, wait "
            "for the other one to finish, then retry."
        ),
        numbers=[3201],
        unless=_OBS,
    ),
    _hint(
        "3201-truncated",
        _os_error(_3201, 38, 23, 1117, text=r"reached the end of the file|I/O device error"),
        _("The backup file could not be opened: it is truncated or unreadable"),
        _(
            "Reading stopped early (operating system error 38, 23 or 1117): the uploaded file "
            "is shorter than the backup or damaged. Upload it again in binary mode (large files "
            "with OBS Browser+ or obsutil multipart), and compare size and MD5 with the source."
        ),
        numbers=[3201],
        unless=_OBS,
    ),
    _hint(
        "3201",
        _3201,
        _("The backup file could not be opened"),
        _(
            "RESTORE could not open the .bak file; the operating system error in the message "
            "says why. Check that the file exists in OBS under exactly this name, that it "
            "finished uploading, and that the bucket is in the instance's region."
        ),
        numbers=[3201],
        unless=(*_OBS, "3201-missing", "3201-denied", "3201-in-use", "3201-truncated"),
    ),
    # --- The file is not a usable native backup ------------------------------------------------
    _hint(
        "not-native",
        _sql(3241, 3242, 3266, 3143, 3208, 3256),
        _("The file is not a complete native SQL Server backup"),
        _(
            "SQL Server does not recognise the file as a whole native backup. Usual causes: the "
            ".bak was zipped or compressed by another tool (unpack it first), it was written by a "
            "third-party backup tool in its own format (convert it to a native backup), the "
            "upload was cut short (compare size and MD5 with the source), or it was transferred "
            "by FTP in text/ASCII mode (use binary). A backup from a newer SQL Server version "
            "can also give this error."
        ),
        numbers=[3241, 3242, 3266, 3143, 3208, 3256],
    ),
    _hint(
        "3203",
        _sql(3203),
        _("Reading the backup file failed"),
        _(
            "SQL Server could open the .bak file but not read it to the end; the operating "
            "system error in the message says why (38: the file is shorter than expected). "
            "Upload the file again in binary mode and compare its size and MD5 with the source."
        ),
        numbers=[3203],
    ),
    _hint(
        "damaged",
        _sql(3183, 3189, 824),
        _("The backup contains damaged pages"),
        _(
            "Page checksums in the backup do not match: the backup itself is damaged, or the "
            "database was already damaged when it was backed up. Run DBCC CHECKDB on the "
            "source, take a new backup WITH CHECKSUM, check it with RESTORE VERIFYONLY WITH "
            "CHECKSUM, and upload it again."
        ),
        numbers=[3183, 3189, 824],
    ),
    _hint(
        "version",
        _sql(3169) + r"|version .*? (?:is )?(?:later|newer|higher) than",
        _("The backup comes from a newer SQL Server version"),
        _(
            "SQL Server cannot restore a backup onto an older major version. Restore into an RDS "
            "instance of the same or a later version, or move the data another way (for example "
            "export and import); a backup cannot be downgraded."
        ),
        numbers=[3169],
    ),
    _hint(
        "striped",
        _sql(3132, 3231),
        _("The backup is striped over several files"),
        _(
            "The backup was written to several files at once (a striped media set) and every "
            "stripe is needed to restore it. Upload all stripe files and add them all to the job, "
            "or take a new backup to a single file."
        ),
        numbers=[3132, 3231],
    ),
    _hint(
        "encrypted",
        _sql(33111),
        _("The backup is encrypted and the certificate is missing on the target"),
        _(
            "The database uses TDE or the backup was encrypted, and the target instance does "
            "not have the certificate (or key) with this thumbprint. Turn off TDE or backup "
            "encryption on the source, take a new full backup and migrate that one."
        ),
        numbers=[33111],
    ),
    # --- The target database --------------------------------------------------------------
    _hint(
        "exists",
        _sql(3154, 1801) + r"|already exists on the target|overwriting is disabled",
        _("A database with this name already exists on the target"),
        _(
            "The target instance already has a database with this name. If it may be replaced, "
            "create the job with 'overwrite the existing database' (DRS then disables the "
            "instance's high availability until the job ends); otherwise restore under a new "
            "database name."
        ),
        numbers=[3154, 1801],
    ),
    _hint(
        "3159",
        _sql(3159),
        _("The target database has changes that were not backed up"),
        _(
            "A database of this name exists on the target and its log holds work that a restore "
            "would throw away. If that data may be lost, use 'overwrite the existing database'; "
            "otherwise back it up first or restore under a new name."
        ),
        numbers=[3159],
    ),
    _hint(
        "3101",
        _sql(3101),
        _("The target database is in use"),
        _(
            "RESTORE needs exclusive access to the target database but sessions are connected to "
            "it. Stop the applications, jobs and logins that use it on the target, then retry."
        ),
        numbers=[3101],
    ),
    _hint(
        "files-taken",
        _sql(1834, 5170, 1802),
        _("The database files already belong to another database"),
        _(
            "The physical file names in the backup are used by a different database on the "
            "target (the message names it). 'Overwrite' only replaces a database of the same "
            "name, so it does not help here. Restore under another database name, or drop or "
            "rename that other database if it is no longer needed."
        ),
        numbers=[1834, 5170, 1802],
    ),
    _hint(
        "file-path",
        _sql(5133, 3634, 5120),
        _("A database file path is not usable on the target"),
        _(
            "SQL Server could not create or open a data or log file at the path taken from the "
            "backup (directory missing or access denied). Check the source's file list (RESTORE "
            "FILELISTONLY) for unusual files such as extra drives, FILESTREAM containers or "
            "full-text catalogs; RDS manages the target's folders, so open a ticket if the list "
            "looks normal."
        ),
        numbers=[5133, 3634, 5120],
    ),
    _hint(
        "filestream",
        _sql(5591),
        _("FILESTREAM is not enabled on the target"),
        _(
            "The database has a FILESTREAM filegroup. Enable FILESTREAM on the target instance "
            "(and in the job) before restoring, or remove the FILESTREAM data on the source and "
            "take a new backup."
        ),
        numbers=[5591],
    ),
    _hint(
        "edition",
        _sql(905, 909, 932, 933, 934, 33117),
        _("The database uses a feature the target's edition lacks"),
        _(
            "The database uses a feature (partitioning, data compression, change tracking, "
            "change data capture, TDE) that the target instance's edition or version does not "
            "support, e.g. an Enterprise database on a Standard or Web instance. Restore into "
            "an edition that supports it, or turn the feature off on the source and take a new "
            "backup."
        ),
        numbers=[905, 909, 932, 933, 934, 33117],
    ),
    _hint(
        "disk",
        _sql(3257, 1105) + r"|operating system error 112\b|not enough space on the disk|"
        r"insufficient (?:free )?disk space|not enough (?:free )?(?:disk )?space|"
        r"exceeds the free disk space",
        _("The target instance is out of disk space"),
        _(
            "A restore allocates the source database's full file sizes (data and log, including "
            "empty space), not the size of the .bak, which can be much smaller when compressed. "
            "Check the sizes with RESTORE FILELISTONLY, and keep free space of at least the "
            "database size and at least 1.5 times the backup size, as DRS requires: extend "
            "the instance's storage, or shrink an oversized log on the source and back up again."
        ),
        numbers=[3257, 1105],
    ),
    # --- The restore sequence (full, differential, log) ----------------------------------------
    _hint(
        "4326",
        _sql(4326),
        _("This log backup was already applied"),
        _(
            "The log backup ends before the point the database has already reached, so it was "
            "applied before (or is covered by a later full or differential). The chain is not "
            "broken: leave this file out and continue with the next log backup."
        ),
        numbers=[4326],
    ),
    _hint(
        "4305",
        _sql(4305, 4330),
        _("A log backup is missing from the chain"),
        _(
            "This backup does not continue from where the database is: a log backup in between "
            "is missing (for example one taken by another job or tool), or it belongs to another "
            "restore path. Find the missing file by its LSNs (msdb.dbo.backupset first_lsn and "
            "last_lsn), add it in order, or start again from a new full backup."
        ),
        numbers=[4305, 4330],
    ),
    _hint(
        "3136",
        _sql(3136),
        _("The differential belongs to another full backup"),
        _(
            "A differential backup can only be restored on top of the full backup it is based "
            "on. Use that full backup (see differential_base_guid in RESTORE HEADERONLY), or take "
            "a new full backup and differential."
        ),
        numbers=[3136],
    ),
    _hint(
        "3117",
        _sql(3117),
        _("The database was already recovered"),
        _(
            "An earlier step restored the database WITH RECOVERY (for example a file was marked "
            "as the last backup too early), so no more differential or log backups can be "
            "applied. Start again from the full backup and mark only the final file as the last "
            "one."
        ),
        numbers=[3117],
    ),
    _hint(
        "4319",
        _sql(4319),
        _("A previous restore was interrupted"),
        _(
            "An earlier restore of this database stopped half-way. Restore the interrupted "
            "backup again, or restart the whole sequence from the full backup."
        ),
        numbers=[4319],
    ),
    # --- Last: the wrapper, only when nothing specific matched -------------------------------
    _hint(
        "3013",
        _sql(3013),
        _("The restore was aborted"),
        _(
            "Msg 3013 only says the RESTORE stopped; the message before it in the log names the "
            "cause."
        ),
        numbers=[3013],
        unless=("*",),
    ),
)

# --- Reading a log ------------------------------------------------------------------------------

_HEADER = re.compile(
    r"^\s*(?:Msg\s+(?P<msg>\d+),\s*Level\s+(?P<level>\d+)"
    r"(?:,\s*State\s+\d+)?(?:,[^\n]*?Line\s+\d+)?"
    r"|Error:\s*(?P<err>\d+),\s*Severity:\s*(?P<sev>\d+),\s*State:\s*\d+\.?)"
    r"[ \t]*(?P<rest>.*)$",
    re.IGNORECASE,
)
# "2024-08-19 02:28:01.12 spid57      " in front of each line of the SQL Server error log.
_ERRORLOG_PREFIX = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?\s+\S+\s+")
_NUMBER_IN_TEXT = re.compile(r"(?<!system )\b(?:msg|error)[\s:#]*(\d{3,5})\b", _FLAGS)
_TEXT_RES = {number: re.compile(text, _FLAGS) for number, text in TEXT.items()}


MAX_LOG_CHARS = 200_000  # the cause comes first; a runaway log must not cost more


@dataclass(frozen=True)
class Message:
    number: int | None  # from the header, "error N" in the text, or the text itself
    level: int | None  # severity, when the header gives one
    text: str  # the message without its header
    raw: str  # what the hint patterns search: header and text


def messages(error_log: str) -> list[Message]:
    """The log as SQL Server messages: each header with its line of text, other lines alone."""
    found: list[Message] = []
    header: re.Match | None = None
    for line in (error_log or "")[:MAX_LOG_CHARS].splitlines():
        line = _ERRORLOG_PREFIX.sub("", line)
        if not line.strip():
            continue
        match = _HEADER.match(line)
        if match:
            if header:  # a header with no text before the next one
                found.append(_message(header, ""))
            header = None
            if match["rest"].strip():
                found.append(_message(match, match["rest"]))
            else:
                header = match
        elif header:
            found.append(_message(header, line))
            header = None
        else:
            found.append(_message(None, line))
    if header:
        found.append(_message(header, ""))
    return found


def without_header(line: str) -> str:
    """A line of a log without its "Msg N, Level L, State S, Line 1" (or "Error: N, Severity:
    L, State: S.") header: "" for a header alone."""
    line = _ERRORLOG_PREFIX.sub("", line)
    match = _HEADER.match(line)
    return (match["rest"] if match else line).strip()


def _message(header: re.Match | None, text: str) -> Message:
    text = text.strip()
    number = level = None
    if header:
        number = int(header["msg"] or header["err"])
        level = int(header["level"] or header["sev"])
        raw = f"{header.group(0)[: header.start('rest')].strip()}\n{text}"
    else:
        raw = text
        found = _NUMBER_IN_TEXT.search(text)
        if found:
            number = int(found.group(1))
            if text[found.end() :].startswith(":"):  # "… SQL Server error 3201: Cannot open …"
                text = text[found.end() + 1 :].strip()
        else:
            number = next((n for n, rx in _TEXT_RES.items() if rx.search(text)), None)
    return Message(number, level, text, raw)


def _hidden(hint: Hint, codes: set[str]) -> bool:
    return any(code in codes if code != "*" else len(codes) > 1 for code in hint.unless)


def hints_for(error_log: str) -> list[Hint]:
    """The hints for a log, most specific first; generic ones drop out when a specific one
    matched (see ``Hint.unless``)."""
    found = messages(error_log)
    matched = [h for h in HINTS if any(h.pattern.search(m.raw) for m in found)]
    codes = {h.code for h in matched}
    return [h for h in matched if not _hidden(h, codes)]


# --- Grouping -----------------------------------------------------------------------------------

_OS_ERROR_TEXT = re.compile(r"(error\s*)'?(\d+)\([^)]*\)'?", re.IGNORECASE)  # error 2(The system…)
_KEEP_NUMBER = re.compile(r"\b(error\s*)(\d+)", re.IGNORECASE)  # OS error numbers name a cause
_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|\[[^\]\n]*\]")
_PATH = re.compile(
    r"(?:\b[A-Za-z]:\\|\\\\|(?<![\w/])/)[^\s'\"]*"  # D:\…, \\server\…, /var/…
    r"|\b[\w.-]+\.(?:bak|trn|dif|diff|log|mdf|ndf|ldf|zip|rar|7z)\b",  # bare file names
    re.IGNORECASE,
)
_HEX = re.compile(r"\b0x[0-9a-f]+\b|\b[0-9a-f]{8}-[0-9a-f-]{27}\b", re.IGNORECASE)
_DIGITS = re.compile(r"(?<![§\d])\d+(?:[.,]\d+)*")
SIGNATURE_LENGTH = 120


def _is_cause(message: Message) -> bool:
    if message.number in INFORMATIONAL or message.number in WRAPPERS:
        return False
    return message.level is None or message.level > 10  # severity 10 is informational


def _cause(found: list[Message]) -> Message:
    """The message that names the cause: the first one a specific hint explains, else the first
    known SQL Server error, else the first line that is not progress or a wrapper."""
    causes = [m for m in found if _is_cause(m)]
    specific = [h for h in HINTS if not h.unless or "*" not in h.unless]
    for message in causes:
        if any(h.pattern.search(message.raw) for h in specific):
            return message
    known = (m for m in causes if m.number is not None and (m.number in TEXT or m.level))
    return next(known, causes[0] if causes else found[0])


def signature(error_log: str) -> str:
    """What a failure is grouped by: its first real cause, as ``Msg N: text`` with names, paths
    and numbers blanked (operating-system error numbers are kept: they name the cause)."""
    found = messages(error_log)
    if not found:
        return ""
    cause = _cause(found)
    text = _OS_ERROR_TEXT.sub(r"\1\2", cause.text)
    text = _KEEP_NUMBER.sub(lambda m: f"{m[1]}§{m[2]}", text)
    text = _QUOTED.sub("'*'", text)
    text = _PATH.sub("*", text)
    text = _HEX.sub("N", text)
    text = " ".join(_DIGITS.sub("N", text).replace("§", "").split())
    if cause.number is not None and (cause.number in TEXT or cause.level is not None):
        text = f"Msg {cause.number}: {text}"
    return text[:SIGNATURE_LENGTH].rstrip()
