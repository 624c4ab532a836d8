"""Seed data: the documented example verbatim, curated edge cases, bulk history, live jobs.

Everything except times is deterministic for a given random seed; times are relative to `now`
(the documented example keeps its own 2024 timestamps).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .store import Job, Lifecycle, format_time, parse_time

DAY = 86400.0
EXAMPLE_JOB_ID = "0667845a-6291-4e2a-95b0-190c0abjb703"
# The detail page's example response (drs_03_0285.html), byte for byte.
EXAMPLE_JOB_JSON = """{ "id" : "0667845a-6291-4e2a-95b0-190c0abjb703", "status" : "SUCCESS", "create_time" : "2024-08-19T02:27:15Z", "finish_time" : "2024-08-19T02:29:03Z", "backup_info" : { "file_source" : "OBS", "bucket_name" : "zyy-obs", "file_info" : [ { "file_name" : "1706510914000_1_Test_Database.bak", "file_size" : "704KB", "file_last_modify" : "1706511360000" } ] }, "base_info" : { "name" : "DRS-6813", "engine_type" : "sqlserver", "enterprise_project_id" : "0", "description": "Destination RDS instance name: rds-sqlserver2022-stand" }, "target_db_info" : { "target_instance_id" : "0a3182607bc549bcb46cc9a8755761a6in04" }, "options" : { "is_cover" : true, "is_default_restore" : true, "is_last_backup" : false, "is_precheck" : true, "is_delete_backup_file" : false, "recovery_mode" : "full", "db_names" : [ ] }, "new_db_names" : "[]", "instance_name" : "" }"""  # noqa: E501

DEFAULT_EP = "0"
FINANCE_EP = "6c1e9f3a-4b2d-4e8f-9a7c-2d5b8e1f0a93"
SLOW_JOB_NAME = "demo-fault-slow"
BROKEN_JOB_NAME = "demo-fault-broken"
BACKUP_DIR = "D:\\RDSDBDATA\\Backup\\"
DATA_DIR = "D:\\RDSDBDATA\\DATA\\"


@dataclass(frozen=True)
class Target:
    id: str
    name: str
    ip: str
    version: str


TARGETS = (
    Target(
        "0a3182607bc549bcb46cc9a8755761a6in04", "rds-sqlserver2022-stand", "192.168.0.87", "2022"
    ),
    Target("5c0e8d1f3a6b4e7c9d2f1a0b8c7e6d54in04", "rds-erp-prod-ha", "192.168.1.20", "2019"),
    Target("9b7a6c5d4e3f40a1b2c3d4e5f6a7b8c9in04", "rds-finance-2019", "192.168.1.45", "2019"),
    Target("1f2e3d4c5b6a47989a0b1c2d3e4f5a6bin04", "rds-crm-ent-2017", "192.168.2.11", "2017"),
    Target("7d8c9b0a1f2e43d5a6b7c8d9e0f1a2b3in04", "rds-dev-web-2019", "10.0.3.16", "2019"),
    Target("3e4f5a6b7c8d49e0a1b2c3d4e5f6a7b8in04", "rds-analytics-2022", "10.0.4.200", "2022"),
)
DATABASES = (
    "SalesDB",
    "Finance",
    "HR",
    "CRM",
    "Inventory",
    "Payroll",
    "WebShop",
    "Analytics",
    "AuditLog",
    "Reporting",
    "Orders",
    "Logistics",
)
BUCKETS = ("drs-bak-prod", "zyy-obs", "sqlbackup-ap3", "erp-backups")
TAG_SETS = (
    [],
    [{"key": "env", "value": "prod"}],
    [{"key": "env", "value": "test"}, {"key": "owner", "value": "dba-team"}],
    [{"key": "project", "value": "erp-cutover"}, {"key": "env", "value": "prod"}],
    [{"key": "cost-center", "value": "CC-1024"}],
)


def job_id(rng: random.Random) -> str:
    """A DRS-style job id: UUID-shaped, but ending in "jb" + 3 characters (not pure hex)."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:27]}jb{h[27:30]}"


def human_size(size: int) -> str:
    if size < 1024**2:
        return f"{max(1, size // 1024)}KB"
    if size < 1024**3:
        return f"{size / 1024**2:.1f}MB"
    if size < 1024**4:
        return f"{size / 1024**3:.1f}GB"
    return f"{size / 1024**4:.1f}TB"


def file_entry(name: str, size: int, modified: float) -> dict[str, str]:
    return {
        "file_name": name,
        "file_size": human_size(size),
        "file_last_modify": str(int(modified) * 1000),
    }


# --- SQL Server restore failures, as DRS reports them in error_log ---------------------------


def _terminating(statement: str = "RESTORE DATABASE") -> str:
    return f"Msg 3013, Level 16, State 1, Line 1\n{statement} is terminating abnormally."


def err_cannot_open(db: str, file_name: str) -> str:
    return (
        "Msg 3201, Level 16, State 2, Line 1\n"
        f"Cannot open backup device '{BACKUP_DIR}{file_name}'. "
        "Operating system error 2(The system cannot find the file specified.).\n" + _terminating()
    )


def err_lsn_too_recent(db: str, file_name: str) -> str:
    return (
        "Msg 4305, Level 16, State 1, Line 1\n"
        "The log in this backup set begins at LSN 37000000040800001, which is too recent to "
        "apply to the database. An earlier log backup that includes LSN 37000000038400001 "
        "can be restored.\n" + _terminating("RESTORE LOG")
    )


def err_lsn_too_early(db: str, file_name: str) -> str:
    return (
        "Msg 4326, Level 16, State 1, Line 1\n"
        "The log in this backup set terminates at LSN 9000000026200001, which is too early to "
        "apply to the database. A more recent log backup that includes LSN 9000000028900001 "
        "can be restored.\n" + _terminating("RESTORE LOG")
    )


def err_directory_lookup(db: str, file_name: str) -> str:
    return (
        "Msg 5133, Level 16, State 1, Line 1\n"
        f'Directory lookup for the file "E:\\SQLData\\{db}.mdf" failed with the operating '
        "system error 3(The system cannot find the path specified.).\n"
        "Msg 3156, Level 16, State 3, Line 1\n"
        f"File '{db}' cannot be restored to 'E:\\SQLData\\{db}.mdf'. "
        "Use WITH MOVE to identify a valid location for the file.\n"
        "Msg 3119, Level 16, State 1, Line 1\n"
        "Problems were identified while planning for the RESTORE statement. "
        "Previous messages provide details.\n" + _terminating()
    )


def err_access_denied(db: str, file_name: str) -> str:
    return (
        "Msg 3634, Level 16, State 1, Line 1\n"
        "The operating system returned the error '5(Access is denied.)' while attempting "
        f"'RestoreContainer::ValidateTargetForCreation' on '{DATA_DIR}{db}.mdf'.\n"
        "Msg 3156, Level 16, State 8, Line 1\n"
        f"File '{db}' cannot be restored to '{DATA_DIR}{db}.mdf'. "
        "Use WITH MOVE to identify a valid location for the file.\n"
        "Msg 3119, Level 16, State 1, Line 1\n"
        "Problems were identified while planning for the RESTORE statement. "
        "Previous messages provide details.\n" + _terminating()
    )


def err_file_in_use(db: str, file_name: str) -> str:
    return (
        "Msg 1834, Level 16, State 1, Line 1\n"
        f"The file '{DATA_DIR}{db}.mdf' cannot be overwritten.  "
        f"It is being used by database '{db}_old'.\n"
        "Msg 3156, Level 16, State 4, Line 1\n"
        f"File '{db}' cannot be restored to '{DATA_DIR}{db}.mdf'. "
        "Use WITH MOVE to identify a valid location for the file.\n" + _terminating()
    )


def err_create_database(db: str, file_name: str) -> str:
    return (
        "Msg 5170, Level 16, State 1, Line 1\n"
        f"Cannot create file '{DATA_DIR}{db}_log.ldf' because it already exists. "
        "Change the file path or the file name, and retry the operation.\n"
        "Msg 1802, Level 16, State 4, Line 1\n"
        "CREATE DATABASE failed. Some file names listed could not be created. "
        "Check related errors."
    )


def err_media_family(db: str, file_name: str) -> str:
    return (
        "Msg 3241, Level 16, State 0, Line 1\n"
        f"The media family on device '{BACKUP_DIR}{file_name}' is incorrectly formed. "
        "SQL Server cannot process this media family.\n" + _terminating()
    )


def err_disk_space(db: str, file_name: str) -> str:
    return (
        "Msg 3257, Level 16, State 1, Line 1\n"
        "There is insufficient free space on disk volume 'D:\\' to create the database. "
        "The database requires 536870912000 additional free bytes, while only 107374182400 "
        "bytes are available.\n"
        "Msg 3119, Level 16, State 4, Line 1\n"
        "Problems were identified while planning for the RESTORE statement. "
        "Previous messages provide details.\n" + _terminating()
    )


def err_obs_download(db: str, file_name: str) -> str:
    return (
        f"Failed to download backup file {file_name} from OBS: "
        "Status=403, Code=AccessDenied, Message=Access Denied. "
        "Check the bucket policy and the agency authorization of DRS."
    )


FAILURES: tuple[Callable[[str, str], str], ...] = (
    err_cannot_open,
    err_lsn_too_recent,
    err_lsn_too_early,
    err_directory_lookup,
    err_access_denied,
    err_file_in_use,
    err_create_database,
    err_media_family,
    err_disk_space,
    err_obs_download,
)

PRECHECK_FAILURES = (
    "Precheck failed: the backup file version (SQL Server 2022) is later than the target "
    "instance version (2019).",
    "Precheck failed: database '{db}' already exists on the target instance and overwriting "
    "is disabled (is_cover=false).",
    "Precheck failed: backup file '{file}' was not found in OBS bucket '{bucket}'.",
    "Precheck failed: the total size of the backup files (1.2TB) exceeds the free disk space "
    "of the target instance (500GB).",
    "Precheck failed: the first file of an incremental migration must be a full backup.",
    "Precheck failed: the database name '{db}' is reserved or contains invalid characters.",
)


# --- job construction ---------------------------------------------------------------------------


@dataclass
class Spec:
    """Everything that varies between jobs; `build` turns it into the API shape."""

    id: str
    name: str
    status: str
    created: float
    duration: float
    target: Target
    files: list[dict[str, str]]
    description: str = ""
    bucket: str = "drs-bak-prod"
    source: str = "OBS"
    file_id: str | None = None
    enterprise_project_id: str = DEFAULT_EP
    tags: list[dict[str, str]] | None = None
    error_log: str | None = ""
    instance_name: str = ""
    file_stream: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    new_db_names: list[str] = field(default_factory=list)
    consistency: str | None = None


def build(spec: Spec) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": spec.name,
        "engine_type": "sqlserver",
        "enterprise_project_id": spec.enterprise_project_id,
        "description": spec.description,
    }
    if spec.tags is not None:
        base["tags"] = spec.tags
    target: dict[str, Any] = {"target_instance_id": spec.target.id}
    if spec.file_stream is not None:
        target["ms_file_stream_status"] = spec.file_stream
    if spec.file_id is not None:
        target["file_id"] = spec.file_id
    options: dict[str, Any] = {
        "is_cover": False,
        "is_default_restore": True,
        "is_last_backup": True,
        "is_precheck": True,
        "is_delete_backup_file": True,
        "recovery_mode": "full",
        "db_names": [],
    }
    options.update(spec.options)
    if spec.consistency is not None:
        options["consistency_check_mode"] = spec.consistency
    data: dict[str, Any] = {
        "id": spec.id,
        "status": spec.status,
        "create_time": format_time(spec.created),
        "finish_time": format_time(spec.created + spec.duration),
        "backup_info": {
            "file_source": spec.source,
            "bucket_name": spec.bucket,
            "file_info": spec.files,
        },
        "base_info": base,
        "target_db_info": target,
        "options": options,
        "new_db_names": json.dumps(spec.new_db_names),
        "instance_name": spec.instance_name,
    }
    if spec.error_log is not None:
        data["error_log"] = spec.error_log
    return data


def to_job(spec: Spec) -> Job:
    return Job(build(spec), spec.created, ip=spec.target.ip)


def example_job() -> Job:
    data = json.loads(EXAMPLE_JOB_JSON)
    return Job(data, parse_time(data["create_time"]) or 0.0, ip=TARGETS[0].ip)


def backup_files(rng: random.Random, db: str, created: float, count: int = 1) -> list[dict]:
    files = []
    for index in range(1, count + 1):
        modified = created - rng.uniform(600, 3 * DAY)
        size = int(rng.lognormvariate(21, 2.2))  # ~1 MB to ~100 GB, median ~1.3 GB
        name = f"{int(modified) * 1000}_{index}_{db}.bak"
        files.append(file_entry(name, size, modified))
    return files


def incremental_files(rng: random.Random, db: str, start: float, logs: int) -> list[dict]:
    files = [file_entry(f"{db}_FULL_{format_time(start)[:10]}.bak", 48_318_382_080, start)]
    for index in range(1, logs + 1):
        moment = start + index * 900
        stamp = format_time(moment).replace("-", "").replace(":", "")[:13]
        size = rng.randint(2_000_000, 900_000_000)
        files.append(file_entry(f"{db}_LOG_{stamp}_{index:03d}.trn", size, moment))
    return files


def rds_file_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}br01"


def curated(rng: random.Random, now: float) -> list[Spec]:
    """Hand-picked jobs that exercise every branch of the UI."""
    t = TARGETS

    def ago(days: float) -> float:
        return now - days * DAY

    def spec(name: str, status: str, days: float, target: Target, db: str, **extra: Any) -> Spec:
        created = ago(days)
        files = extra.pop("files", None) or backup_files(rng, db, created)
        duration = extra.pop("duration", rng.uniform(90, 2400))
        return Spec(job_id(rng), name, status, created, duration, target, files, **extra)

    def failed(name: str, days: float, target: Target, db: str, error: Callable, **kw: Any) -> Spec:
        job = spec(name, "FAILED", days, target, db, **kw)
        job.error_log = error(db, job.files[0]["file_name"])
        return job

    incre_start = ago(9.5)
    incre = spec(
        "erp-incre-cutover",
        "SUCCESS",
        8,
        t[1],
        "Orders",
        files=incremental_files(rng, "Orders", incre_start, 199),
        duration=5.2 * 3600,
        description="ERP orders incremental migration, final cutover batch",
        bucket="erp-backups",
        tags=[{"key": "project", "value": "erp-cutover"}, {"key": "env", "value": "prod"}],
        instance_name=t[1].name,
        options={"recovery_mode": "incre", "is_last_backup": True, "db_names": ["Orders"]},
        new_db_names=["Orders"],
        file_stream="OFF",
        consistency="async",
    )
    specs = [
        failed("restore-salesdb-missing", 1.2, t[0], "SalesDB", err_cannot_open),
        failed(
            "orders-log-chain-gap",
            2.5,
            t[1],
            "Orders",
            err_lsn_too_recent,
            files=incremental_files(rng, "Orders", ago(3), 4)[1:],
            options={"recovery_mode": "incre", "is_last_backup": False},
        ),
        failed(
            "orders-log-too-early",
            2.6,
            t[1],
            "Orders",
            err_lsn_too_early,
            options={"recovery_mode": "incre", "is_last_backup": False},
        ),
        failed("finance-path-missing", 3.1, t[2], "Finance", err_directory_lookup),
        failed(
            "finance-access-denied",
            3.4,
            t[2],
            "Finance",
            err_access_denied,
            enterprise_project_id=FINANCE_EP,
        ),
        failed("hr-file-in-use", 4.0, t[3], "HR", err_file_in_use, options={"is_cover": True}),
        failed("crm-create-db-failed", 4.2, t[3], "CRM", err_create_database),
        failed("inventory-bad-media", 5.0, t[4], "Inventory", err_media_family),
        failed("analytics-disk-full", 5.5, t[5], "Analytics", err_disk_space),
        spec(
            "precheck-version-2022",
            "PRECHECK FAILED",
            1.8,
            t[4],
            "WebShop",
            error_log=PRECHECK_FAILURES[0],
            duration=35,
            description="Backup taken on SQL Server 2022, target is 2019",
        ),
        spec(
            "precheck-db-exists",
            "PRECHECK FAILED",
            6.3,
            t[1],
            "SalesDB",
            error_log=PRECHECK_FAILURES[1].format(db="SalesDB"),
            duration=28,
        ),
        incre,
        spec(
            "rds-backup-restore-finance",
            "SUCCESS",
            2.9,
            t[2],
            "Finance",
            source="RDS",
            bucket="",
            file_id=rds_file_id(rng),
            enterprise_project_id=FINANCE_EP,
            instance_name=t[2].name,
            description="Restore from RDS full backup of rds-finance-2019",
        ),
        spec(
            "rds-backup-restore-payroll",
            "FAILED",
            7.7,
            t[2],
            "Payroll",
            source="RDS",
            bucket="",
            file_id=rds_file_id(rng),
            enterprise_project_id=FINANCE_EP,
            error_log="The RDS backup file does not exist or has expired. "
            "Select another backup and try again.",
        ),
        spec(
            "erp-full-migration-cn",
            "SUCCESS",
            10.1,
            t[1],
            "SalesDB",
            description="生产环境ERP数据库全量迁移（第一批），目标实例：rds-erp-prod-ha",
            tags=[{"key": "env", "value": "prod"}],
            options={"is_default_restore": False, "db_names": ["SalesDB", "Orders"]},
            new_db_names=["SalesDB", "Orders"],
            instance_name=t[1].name,
        ),
        spec(
            "财务库迁移-2024",
            "SUCCESS",
            11.4,
            t[2],
            "Finance",
            description="财务系统数据库迁移至云上RDS",
            enterprise_project_id=FINANCE_EP,
            options={"reset_db_name_map": {"": "Finance_2024"}, "is_default_restore": False},
            new_db_names=["Finance_2024"],
            consistency="sync",
            file_stream="ON",
        ),
        spec(
            "demo-escape-check",
            "FAILED",
            0.7,
            t[4],
            "WebShop",
            description="<img src=x onerror=alert(2)> {{ 7*7 }} {% now 'Y' %}",
            error_log="Msg 3201, Level 16, State 2, Line 1\nCannot open backup device "
            f"'{BACKUP_DIR}<script>alert(1)</script>.bak'. Operating system error 2(The system "
            'cannot find the file specified.).\n{{ 7*7 }} ${7*7} <b>not bold</b> & "quoted"\n'
            + _terminating(),
        ),
        spec(
            "reset-name-hr",
            "SUCCESS",
            12.0,
            t[3],
            "HR",
            options={
                "is_default_restore": False,
                "db_names": ["HR"],
                "reset_db_name_map": {"": "HR_restored"},
                "consistency_check_mode": "async",
            },
            new_db_names=["HR_restored"],
            file_stream="OFF",
            tags=[{"key": "owner", "value": "dba-team"}],
        ),
        spec(SLOW_JOB_NAME, "SUCCESS", 0.4, t[0], "Reporting", description="Answers slowly"),
        spec(BROKEN_JOB_NAME, "SUCCESS", 0.45, t[0], "AuditLog", description="Broken detail"),
        spec("legacy-lowercase-ok", "success", 58.0, t[3], "CRM", error_log=None),
        spec(
            "legacy-lowercase-failed",
            "failed",
            59.0,
            t[3],
            "CRM",
            error_log=err_cannot_open("CRM", "CRM_2019.bak"),
        ),
    ]
    return specs


def bulk(rng: random.Random, now: float, count: int) -> list[Spec]:
    """Historical jobs over the last ~60 days: ~80% SUCCESS, 15% FAILED, 5% PRECHECK FAILED."""
    specs = []
    for _ in range(count):
        status = rng.choices(("SUCCESS", "FAILED", "PRECHECK FAILED"), (80, 15, 5))[0]
        target = rng.choice(TARGETS)
        db = rng.choice(DATABASES)
        created = now - rng.uniform(0.05, 60) * DAY
        files = backup_files(rng, db, created, rng.choice((1, 1, 1, 2, 3)))
        precheck = status == "PRECHECK FAILED"
        duration = rng.uniform(15, 60) if precheck else rng.uniform(60, 3 * 3600)
        stamp = format_time(created)[:10].replace("-", "")
        name = rng.choice(
            (f"DRS-{rng.randint(1000, 9999)}", f"mig-{db.lower()}-{stamp}", f"{db}_restore_{stamp}")
        )
        spec = Spec(job_id(rng), name, status, created, duration, target, files)
        spec.description = rng.choice(
            ("", f"Destination RDS instance name: {target.name}", f"{db} nightly restore")
        )
        spec.bucket = rng.choice(BUCKETS)
        if rng.random() < 0.12:
            spec.source, spec.bucket, spec.file_id = "RDS", "", rds_file_id(rng)
        spec.enterprise_project_id = rng.choice((DEFAULT_EP, DEFAULT_EP, DEFAULT_EP, FINANCE_EP))
        tags = rng.choice(TAG_SETS)
        spec.tags = [dict(tag) for tag in tags] if tags else None
        spec.instance_name = rng.choice((target.name, ""))
        spec.file_stream = rng.choice((None, "ON", "OFF", "OFF"))
        spec.options = _bulk_options(rng, db)
        reset = spec.options.get("reset_db_name_map", {}).get("")
        spec.new_db_names = [reset] if reset else list(spec.options["db_names"])
        if status == "FAILED":
            spec.error_log = rng.choice(FAILURES)(db, files[0]["file_name"])
        elif precheck:
            template = rng.choice(PRECHECK_FAILURES)
            spec.error_log = template.format(db=db, file=files[0]["file_name"], bucket=spec.bucket)
        else:
            spec.error_log = rng.choice(("", "", None))
        specs.append(spec)
    return specs


def _bulk_options(rng: random.Random, db: str) -> dict[str, Any]:
    default_restore = rng.random() < 0.6
    options: dict[str, Any] = {
        "is_cover": rng.random() < 0.3,
        "is_default_restore": default_restore,
        "is_last_backup": rng.random() < 0.85,
        "is_precheck": rng.random() < 0.9,
        "is_delete_backup_file": rng.random() < 0.7,
        "recovery_mode": rng.choice(("full", "full", "full", "incre")),
        "db_names": [] if default_restore else [db],
    }
    if not default_restore and rng.random() < 0.25:
        options["reset_db_name_map"] = {"": f"{db}_new"}
    if rng.random() < 0.5:
        options["consistency_check_mode"] = rng.choice(("sync", "async"))
    return options


def live_job(
    rng: random.Random,
    started: float,
    duration: float,
    outcome: str,
    *,
    identifier: str | None = None,
    name: str | None = None,
    target: Target | None = None,
    error_log: str | None = None,
) -> Job:
    """A job that is TRANSFERRING from `started` until `started + duration`, then `outcome`."""
    target = target or rng.choice(TARGETS)
    db = rng.choice(DATABASES)
    files = backup_files(rng, db, started, 1)
    spec = Spec(
        identifier or job_id(rng),
        name or f"live-{db.lower()}-{rng.randint(100, 999)}",
        "TRANSFERRING",
        started,
        duration,
        target,
        files,
        description=f"Destination RDS instance name: {target.name}",
        instance_name=target.name,
    )
    data = build(spec)
    data.pop("finish_time")
    if error_log is None:
        error_log = _default_error(rng, outcome, db, files[0]["file_name"])
    lifecycle = Lifecycle(started, duration, outcome, error_log)
    return Job(data, started, ip=target.ip, lifecycle=lifecycle)


def _default_error(rng: random.Random, outcome: str, db: str, file_name: str) -> str:
    if outcome == "FAILED":
        return rng.choice(FAILURES)(db, file_name)
    if outcome == "PRECHECK FAILED":
        return PRECHECK_FAILURES[0]
    return ""


@dataclass
class Seed:
    jobs: list[Job]
    slow_job_id: str
    broken_job_id: str


def build_seed(random_seed: int, now: float, bulk_jobs: int, live_jobs: int) -> Seed:
    rng = random.Random(random_seed)
    specs = curated(rng, now)
    specs += bulk(rng, now, bulk_jobs)
    jobs = [example_job()] + [to_job(spec) for spec in specs]
    outcomes = ("SUCCESS", "FAILED")
    for index in range(live_jobs):
        started = now - rng.uniform(5, 40)
        duration = rng.uniform(120, 360) + (now - started)
        jobs.append(live_job(rng, started, duration, outcomes[index % 2]))
    by_name = {job.data["base_info"]["name"]: job.id for job in jobs}
    return Seed(jobs, by_name[SLOW_JOB_NAME], by_name[BROKEN_JOB_NAME])
