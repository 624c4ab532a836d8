"""Seeded migrations: databases moved as chains of jobs into one instance (drs-api.md §10).

Per project: a full `.bak`, then log `.trn` (and a differential) restores per database; one
database awaiting its next backup for days (stalled), one cut over, one blocked by a failed log
restore, a backup holding two databases, one named only by its file names (inferred), one
started again with a full restore that overwrites, and one restoring now.
"""

from __future__ import annotations

import random
from typing import Any

from jobs.simulator import errors, seed
from jobs.simulator.seed import (
    DAY,
    TARGETS,
    Spec,
    build,
    error_log,
    file_entry,
    job_id,
    to_job,
)
from jobs.simulator.store import Job, Lifecycle, format_time

HOUR = 3600.0


def _stamp(moment: float) -> str:
    return format_time(moment).replace("-", "").replace(":", "")[:13]


def full_files(db: str, at: float, size: int = 21_474_836_480) -> list[dict]:
    return [file_entry(f"{db}_FULL_{_stamp(at)}.bak", size, at)]


def diff_files(db: str, at: float) -> list[dict]:
    return [file_entry(f"{db}_DIFF_{_stamp(at)}.bak", 2_147_483_648, at)]


def log_files(db: str, at: float, count: int) -> list[dict]:
    return [
        file_entry(f"{db}_LOG_{_stamp(at + i * 900)}_{i:03d}.trn", 104_857_600, at + i * 900)
        for i in range(1, count + 1)
    ]


def chain_jobs(rng: random.Random, now: float) -> list[Job]:
    jobs: list[Job] = []

    def step(name, db_names, target, days, files, *, full, last, status="SUCCESS", **kw) -> Spec:
        created = now - days * DAY
        options: dict[str, Any] = {
            "recovery_mode": "full" if full else "incre",
            "is_last_backup": last,
            "is_default_restore": not db_names,
            "db_names": list(db_names),
            "is_cover": kw.pop("overwrite", False),
        }
        spec = Spec(
            job_id(rng),
            name,
            status,
            created,
            kw.pop("duration", rng.uniform(300, 2 * HOUR)),
            target,
            files,
            description=f"Migration of {', '.join(db_names) or 'a database'} to {target.name}",
            bucket=kw.pop("bucket", "mig-backups"),
            instance_name=target.name,
            options=options,
        )
        for key, value in kw.items():
            setattr(spec, key, value)
        jobs.append(to_job(spec))
        return spec

    t = TARGETS
    # Sales: restored, then waiting for its next log backup for three days (stalled).
    step(
        "mig-sales-full",
        ["Sales"],
        t[0],
        5,
        full_files("Sales", now - 5.2 * DAY),
        full=True,
        last=False,
    )
    step(
        "mig-sales-log-01",
        ["Sales"],
        t[0],
        4,
        log_files("Sales", now - 4.1 * DAY, 4),
        full=False,
        last=False,
    )
    step(
        "mig-sales-log-02",
        ["Sales"],
        t[0],
        3,
        log_files("Sales", now - 3.1 * DAY, 6),
        full=False,
        last=False,
        duration=1200,
    )
    # Ledger: full, logs, a differential, the cutover.
    step(
        "mig-ledger-full",
        ["Ledger"],
        t[1],
        9,
        full_files("Ledger", now - 9.1 * DAY),
        full=True,
        last=False,
    )
    step(
        "mig-ledger-log-01",
        ["Ledger"],
        t[1],
        8,
        log_files("Ledger", now - 8.1 * DAY, 8),
        full=False,
        last=False,
    )
    step(
        "mig-ledger-diff",
        ["Ledger"],
        t[1],
        7,
        diff_files("Ledger", now - 7.1 * DAY),
        full=False,
        last=False,
    )
    step(
        "mig-ledger-cutover",
        ["Ledger"],
        t[1],
        6,
        log_files("Ledger", now - 6.1 * DAY, 2),
        full=False,
        last=True,
    )
    # Billing: a log restore failed (a gap in the log chain): blocked at step 3.
    step(
        "mig-billing-full",
        ["Billing"],
        t[2],
        4,
        full_files("Billing", now - 4.1 * DAY),
        full=True,
        last=False,
    )
    step(
        "mig-billing-log-01",
        ["Billing"],
        t[2],
        3,
        log_files("Billing", now - 3.1 * DAY, 3),
        full=False,
        last=False,
    )
    broken = log_files("Billing", now - 2.1 * DAY, 2)
    gap = error_log(errors.lsn_too_recent, "Billing", broken[-1]["file_name"])
    step(
        "mig-billing-log-02",
        ["Billing"],
        t[2],
        2,
        broken,
        full=False,
        last=False,
        status="FAILED",
        error_log=gap,
    )
    # One backup holding two databases, awaiting their next backups (two hours: not stalled).
    both = [*full_files("Warehouse", now - 0.2 * DAY), *full_files("Claims", now - 0.2 * DAY)]
    step(
        "mig-warehouse-claims-full",
        ["Warehouse", "Claims"],
        t[3],
        0.15,
        both,
        full=True,
        last=False,
        duration=900,
    )
    # Tickets: a one-time full migration named only by its file name.
    tickets = [file_entry(f"{int(now - 2 * DAY) * 1000}_1_Tickets.bak", 734_003_200, now - 2 * DAY)]
    step("DRS-7710", [], t[4], 1.9, tickets, full=True, last=True)
    # Payments: a first attempt, then started again with a full restore that overwrites.
    step(
        "mig-payments-full",
        ["Payments"],
        t[5],
        10,
        full_files("Payments", now - 10.1 * DAY),
        full=True,
        last=False,
    )
    step(
        "mig-payments-log-01",
        ["Payments"],
        t[5],
        9.5,
        log_files("Payments", now - 9.6 * DAY, 2),
        full=False,
        last=False,
    )
    step(
        "mig-payments-full-again",
        ["Payments"],
        t[5],
        1,
        full_files("Payments", now - 1.1 * DAY),
        full=True,
        last=False,
        overwrite=True,
        duration=1800,
    )
    step(
        "mig-payments-log-02",
        ["Payments"],
        t[5],
        0.5,
        log_files("Payments", now - 0.6 * DAY, 3),
        full=False,
        last=False,
        duration=600,
    )
    # Catalog: its first log restore is running now.
    step(
        "mig-catalog-full",
        ["Catalog"],
        t[0],
        0.5,
        full_files("Catalog", now - 0.6 * DAY),
        full=True,
        last=False,
        duration=1800,
    )
    jobs.append(live_step(rng, now - 60, 3 * HOUR, "Catalog", t[0], "mig-catalog-log-01"))
    return jobs


STEP_KINDS = ("full", "diff", "log", "cutover")


def live_step(
    rng,
    started: float,
    duration: float,
    db,
    target,
    name: str,
    kind: str = "log",
    outcome: str = "SUCCESS",
    error_log: str | None = None,
    files: list[dict] | None = None,
) -> Job:
    """A restore of `db` (a name, or a list of names held by one backup) into `target` that
    is TRANSFERRING from `started` for `duration`, then `outcome`. `kind`: a `full` restore of
    `.bak` files, a `diff` (differential `.bak`), a `log` restore of `.trn` files, or the
    `cutover`: the last log restore, with `is_last_backup=true` (drs-api.md §10)."""
    if kind not in STEP_KINDS:
        raise ValueError(f"kind must be one of {', '.join(STEP_KINDS)}")
    names = [db] if isinstance(db, str) else list(db)
    files = list(files or ())
    for name_ in names if not files else ():
        if kind == "full":
            files += full_files(name_, started - HOUR)
        elif kind == "diff":
            files += diff_files(name_, started - HOUR)
        else:
            files += log_files(name_, started - HOUR, 4)
    spec = Spec(
        job_id(rng),
        name,
        "TRANSFERRING",
        started,
        duration,
        target,
        files,
        description=f"Migration of {', '.join(names)} to {target.name}",
        instance_name=target.name,
        bucket="mig-backups",
        options={
            "recovery_mode": "full" if kind == "full" else "incre",
            "is_last_backup": kind == "cutover",
            "is_default_restore": False,
            "db_names": names,
        },
    )
    data = build(spec)
    data.pop("finish_time")
    if error_log is None:
        error_log = ""
        if outcome == "FAILED":
            failure = errors.lsn_too_recent if kind in ("log", "cutover") else errors.disk_space
            error_log = seed.error_log(failure, names[0], files[-1]["file_name"])
    life = Lifecycle(started, duration, outcome, error_log)
    return Job(data, started, ip=target.ip, lifecycle=life)


LIVE_DATABASES = ("Orders", "Inventory", "Payroll", "Crm", "Reports", "Assets", "Claims", "Hr")
ACTIVE_MIGRATIONS = 3  # per project: live migrations in progress at once


class LiveMigrations:
    """New migrations keep starting in a project and advance as a DBA drives them in DRS: a
    full restore, then log restores (a differential now and then) each started once the one
    before succeeded, then the cutover, after which the database is ONLINE and takes no more
    restores (drs-api.md §10). A failed step blocks its chain (nothing more is restored to
    it); some migrations stop short of their cutover and wait RESTORING. One in five backups
    holds two databases. `next_job` makes one job per call, or none when every migration in
    progress is still restoring and enough are."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._serial = 0
        self._active: list[dict] = []

    def next_job(self, now: float, duration: float, status_of) -> Job | None:
        """`status_of(job_id)`: the job's status now (None if gone)."""
        for migration in list(self._active):
            status = status_of(migration["last"])
            if status == "TRANSFERRING":
                continue
            self._active.remove(migration)
            if status != "SUCCESS" or not migration["plan"]:
                continue  # blocked, online, or left awaiting its next backup: done here
            self._active.append(migration)
            return self._step(migration, now, duration)
        if len(self._active) >= ACTIVE_MIGRATIONS:
            return None
        return self._start(now, duration)

    def _start(self, now: float, duration: float) -> Job:
        rng = self._rng
        self._serial += 1
        base = LIVE_DATABASES[(self._serial - 1) % len(LIVE_DATABASES)]
        databases = [f"{base}{self._serial:03d}"]
        if rng.random() < 0.2:
            databases.append(f"{base}{self._serial:03d}Archive")
        logs = ["log"] * rng.randint(1, 4)
        if rng.random() < 0.4:
            logs.insert(rng.randrange(len(logs) + 1), "diff")
        ending = ["cutover"] if rng.random() < 0.8 else []  # else: left awaiting
        migration = {
            "databases": databases,
            "target": TARGETS[self._serial % len(TARGETS)],
            "plan": ["full", *logs, *ending],
            "steps": 0,
            "last": "",
            "backup_at": 0.0,  # when the newest backup file restored so far was taken
            "logs": 0,  # log backups taken so far (their files are numbered on)
        }
        self._active.append(migration)
        return self._step(migration, now, duration)

    def _step(self, migration: dict, now: float, duration: float) -> Job:
        kind = migration["plan"].pop(0)
        migration["steps"] += 1
        failure_rate = 0.05 if kind == "full" else 0.1
        outcome = "FAILED" if self._rng.random() < failure_rate else "SUCCESS"
        database = migration["databases"][0]
        label = "full" if kind == "full" else f"{kind}-{migration['steps'] - 1:02d}"
        job = live_step(
            self._rng,
            now,
            duration,
            migration["databases"],
            migration["target"],
            f"live-{database.lower()}-{label}",
            kind=kind,
            outcome=outcome,
            files=self._backups(migration, kind, now),
        )
        migration["last"] = job.id
        return job

    def _backups(self, migration: dict, kind: str, now: float) -> list[dict]:
        """The files a step restores: the full backup taken a while before it; then each step
        the backups taken since the last one restored (never one twice, none in the future)."""
        since = migration["backup_at"] or now - 2 * HOUR
        at = now - 60 if kind != "full" else now - 10 * 60
        count = self._rng.randint(2, 4)  # log backups taken since the last step
        files: list[dict] = []
        for db in migration["databases"]:
            if kind == "full":
                files += full_files(db, at)
            elif kind == "diff":
                files += diff_files(db, at)
            else:
                for i in range(1, count + 1):
                    taken = since + (at - since) * i / count
                    seq = migration["logs"] + i
                    name = f"{db}_LOG_{_stamp(taken)}_{seq:03d}.trn"
                    files.append(file_entry(name, 104_857_600, taken))
        if kind in ("log", "cutover"):
            migration["logs"] += count
        migration["backup_at"] = at
        return files
