"""Seed data: the documented example verbatim, curated edge cases, bulk history, live jobs.

Everything except times is deterministic for a given random seed; times are relative to `now`
(the documented example keeps its own 2024 timestamps). Only combinations the create page
allows are seeded (drs-api.md §1, §9):
- a restore from an RDS backup (`file_source=RDS`, with `target_db_info.file_id`) is full only;
- a rename (`reset_db_name_map`) only with a full restore and `is_last_backup=true`, and
  `new_db_names` lists a database only when it was renamed (else `"[]"`);
- `PRECHECK FAILED` only on jobs created with `is_precheck=true`;
- incremental jobs restore `.trn` log backups (after a `.bak` full one in their first batch),
  and only they fail with log-restore errors (4305, 4326, 4330, 3117);
- about one job in five carries the numeric `recovery_mode` the live API can return ("1"
  full, "2" incremental).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from jobs.simulator import errors
from jobs.simulator.errors import BACKUP_DIR, FULL_FAILURES, LOG_FAILURES, Failure
from jobs.simulator.store import Job, Lifecycle, format_time, parse_time

DAY = 86400.0
EXAMPLE_JOB_ID = "0667845a-6291-4e2a-95b0-190c0abjb703"
# The detail page's example response (drs_03_0285.html), byte for byte.
EXAMPLE_JOB_JSON = """{ "id" : "0667845a-6291-4e2a-95b0-190c0abjb703", "status" : "SUCCESS", "create_time" : "2024-08-19T02:27:15Z", "finish_time" : "2024-08-19T02:29:03Z", "backup_info" : { "file_source" : "OBS", "bucket_name" : "zyy-obs", "file_info" : [ { "file_name" : "1706510914000_1_Test_Database.bak", "file_size" : "704KB", "file_last_modify" : "1706511360000" } ] }, "base_info" : { "name" : "DRS-6813", "engine_type" : "sqlserver", "enterprise_project_id" : "0", "description": "Destination RDS instance name: rds-sqlserver2022-stand" }, "target_db_info" : { "target_instance_id" : "0a3182607bc549bcb46cc9a8755761a6in04" }, "options" : { "is_cover" : true, "is_default_restore" : true, "is_last_backup" : false, "is_precheck" : true, "is_delete_backup_file" : false, "recovery_mode" : "full", "db_names" : [ ] }, "new_db_names" : "[]", "instance_name" : "" }"""  # noqa: E501

DEFAULT_EP = "0"
FINANCE_EP = "6c1e9f3a-4b2d-4e8f-9a7c-2d5b8e1f0a93"
SLOW_JOB_NAME = "demo-fault-slow"
BROKEN_JOB_NAME = "demo-fault-broken"


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


PRECHECK_FAILURES = (
    "Precheck failed: the backup file version (SQL Server 2022) is later than the target "
    "instance version (2019).",
    "Precheck failed: database '{db}' already exists on the target instance and overwriting "
    "is disabled (is_cover=false).",
    "Precheck failed: backup file '{file}' was not found in OBS bucket '{bucket}'.",
    "Precheck failed: the total size of the backup files (1.2TB) exceeds the free disk space "
    "of the target instance (500GB).",
    "Precheck failed: the database name '{db}' is reserved or contains invalid characters.",
)
INCREMENTAL_PRECHECK_FAILURE = (
    "Precheck failed: the first file of an incremental migration must be a full backup."
)
RDS_BACKUP_GONE = (
    "The RDS backup file does not exist or has expired. Select another backup and try again."
)


def error_log(failure: Failure, db: str, file_name: str, prefixed: bool = True) -> str:
    return errors.render(failure(db, file_name), prefixed)


def recovery_mode(incremental: bool, numeric: bool = False) -> str:
    if numeric:
        return "2" if incremental else "1"
    return "incre" if incremental else "full"


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
    renamed = list((options.get("reset_db_name_map") or {}).values())
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
        "new_db_names": json.dumps(renamed, ensure_ascii=False),
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
    """A full `.bak` taken at `start`, then `logs` `.trn` log backups every 15 minutes."""
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

    def failed(
        name: str, days: float, target: Target, db: str, failure: Failure, **kw: Any
    ) -> Spec:
        prefixed = kw.pop("prefixed", True)
        job = spec(name, "FAILED", days, target, db, **kw)
        job.error_log = error_log(failure, db, job.files[-1]["file_name"], prefixed)
        return job

    def log_batch(db: str, days: float, logs: int) -> list[dict]:
        """A later batch of an incremental migration: log backups only."""
        return incremental_files(rng, db, ago(days + 0.5), logs)[1:]

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
        file_stream="OFF",
        consistency="async",
    )
    still_restoring = {"recovery_mode": "incre", "is_last_backup": False}
    specs = [
        failed("restore-salesdb-missing", 1.2, t[0], "SalesDB", errors.cannot_open),
        failed(
            "orders-log-chain-gap",
            2.5,
            t[1],
            "Orders",
            errors.lsn_too_recent,
            files=log_batch("Orders", 2.5, 4),
            options=still_restoring,
        ),
        failed(
            "orders-log-too-early",
            2.6,
            t[1],
            "Orders",
            errors.lsn_too_early,
            files=log_batch("Orders", 2.6, 3),
            options={**still_restoring, "recovery_mode": "2"},
        ),
        failed(
            "orders-log-recovery-path",
            2.7,
            t[1],
            "Orders",
            errors.recovery_path,
            files=log_batch("Orders", 2.7, 2),
            options=still_restoring,
            prefixed=False,
        ),
        failed(
            "finance-path-missing", 3.1, t[2], "Finance", errors.directory_lookup, prefixed=False
        ),
        failed(
            "finance-access-denied",
            3.4,
            t[2],
            "Finance",
            errors.access_denied,
            enterprise_project_id=FINANCE_EP,
        ),
        failed("hr-file-in-use", 4.0, t[3], "HR", errors.file_in_use, options={"is_cover": True}),
        failed("crm-create-db-failed", 4.2, t[3], "CRM", errors.file_exists),
        failed(
            "crm-other-database",
            4.3,
            t[3],
            "CRM",
            errors.other_database,
            prefixed=False,
            options={"recovery_mode": "1"},
        ),
        failed("inventory-bad-media", 5.0, t[4], "Inventory", errors.media_family, prefixed=False),
        failed("analytics-disk-full", 5.5, t[5], "Analytics", errors.disk_space),
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
            options={"recovery_mode": "1"},
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
            error_log=RDS_BACKUP_GONE,
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
            + errors.render([errors.terminating()]),
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
            file_stream="OFF",
            tags=[{"key": "owner", "value": "dba-team"}],
        ),
        spec(
            "weblogs-incre-numeric",
            "SUCCESS",
            13.0,
            t[4],
            "WebShop",
            files=incremental_files(rng, "WebShop", ago(13.2), 6),
            options={"recovery_mode": "2", "is_last_backup": True},
            description="Incremental migration; the API reports recovery_mode as a number",
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
            error_log=error_log(errors.cannot_open, "CRM", "CRM_2019.bak", prefixed=False),
        ),
    ]
    return specs


def bulk(rng: random.Random, now: float, count: int) -> list[Spec]:
    """Historical jobs over the last ~60 days: ~80% SUCCESS, 15% FAILED, 5% PRECHECK FAILED."""
    return [_bulk_job(rng, now) for _ in range(count)]


def _bulk_job(rng: random.Random, now: float) -> Spec:
    status = rng.choices(("SUCCESS", "FAILED", "PRECHECK FAILED"), (80, 15, 5))[0]
    target = rng.choice(TARGETS)
    db = rng.choice(DATABASES)
    created = now - rng.uniform(0.05, 60) * DAY
    from_rds = rng.random() < 0.12
    incremental = not from_rds and rng.random() < 0.25
    if incremental:
        files = incremental_files(rng, db, created - rng.uniform(0.5, 2) * DAY, rng.randint(1, 12))
        if rng.random() < 0.4:
            files = files[1:]  # a later batch: log backups only
    else:
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
    if from_rds:
        spec.source, spec.bucket, spec.file_id = "RDS", "", rds_file_id(rng)
    spec.enterprise_project_id = rng.choice((DEFAULT_EP, DEFAULT_EP, DEFAULT_EP, FINANCE_EP))
    tags = rng.choice(TAG_SETS)
    spec.tags = [dict(tag) for tag in tags] if tags else None
    spec.instance_name = rng.choice((target.name, ""))
    spec.file_stream = rng.choice((None, "ON", "OFF", "OFF"))
    spec.options = _bulk_options(rng, db, incremental, precheck)
    if status == "FAILED":
        spec.error_log = _bulk_failure(rng, spec, db, incremental)
    elif precheck:
        templates = PRECHECK_FAILURES + ((INCREMENTAL_PRECHECK_FAILURE,) if incremental else ())
        file_name = files[0]["file_name"]
        spec.error_log = rng.choice(templates).format(db=db, file=file_name, bucket=spec.bucket)
    else:
        spec.error_log = rng.choice(("", "", None))
    return spec


def _bulk_failure(rng: random.Random, spec: Spec, db: str, incremental: bool) -> str:
    last_file = spec.files[-1]["file_name"]
    if spec.source == "RDS" and rng.random() < 0.3:
        return RDS_BACKUP_GONE
    if spec.source == "OBS" and rng.random() < 0.1:
        return errors.obs_download(last_file)
    failures = LOG_FAILURES if incremental and last_file.endswith(".trn") else FULL_FAILURES
    return error_log(rng.choice(failures), db, last_file, prefixed=rng.random() < 0.7)


def _bulk_options(
    rng: random.Random, db: str, incremental: bool, precheck_failed: bool
) -> dict[str, Any]:
    default_restore = rng.random() < 0.6
    last_backup = rng.random() < (0.5 if incremental else 0.9)
    options: dict[str, Any] = {
        "is_cover": rng.random() < 0.3,
        "is_default_restore": default_restore,
        "is_last_backup": last_backup,
        "is_precheck": precheck_failed or rng.random() < 0.9,
        "is_delete_backup_file": rng.random() < 0.7,
        "recovery_mode": recovery_mode(incremental, numeric=rng.random() < 0.2),
        "db_names": [] if default_restore else [db],
    }
    may_rename = not incremental and last_backup and not default_restore
    if may_rename and rng.random() < 0.25:
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
    """A full restore that is TRANSFERRING from `started` until `started + duration`, then
    `outcome`."""
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
        failure = rng.choice(FULL_FAILURES)
        return errors.render(failure(db, file_name), prefixed=rng.random() < 0.7)
    if outcome == "PRECHECK FAILED":
        return PRECHECK_FAILURES[0]
    return ""


@dataclass
class Seed:
    jobs: list[Job]
    slow_job_id: str | None
    broken_job_id: str | None


def build_seed(
    random_seed: int, now: float, bulk_jobs: int, live_jobs: int, showcase: bool = True
) -> Seed:
    """The jobs of one project. `showcase` adds the documented example and the curated jobs."""
    rng = random.Random(random_seed)
    specs = curated(rng, now) if showcase else []
    specs += bulk(rng, now, bulk_jobs)
    jobs = ([example_job()] if showcase else []) + [to_job(spec) for spec in specs]
    outcomes = ("SUCCESS", "FAILED")
    for index in range(live_jobs):
        started = now - rng.uniform(5, 40)
        duration = rng.uniform(120, 360) + (now - started)
        jobs.append(live_job(rng, started, duration, outcomes[index % 2]))
    by_name = {job.data["base_info"]["name"]: job.id for job in jobs}
    return Seed(jobs, by_name.get(SLOW_JOB_NAME), by_name.get(BROKEN_JOB_NAME))
