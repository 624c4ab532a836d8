"""Seeded migrations: databases moved as chains of jobs into one instance (drs-api.md §10).

Per project: a full `.bak`, then log `.trn` (and a differential) restores per database; one
database awaiting its next backup for days (stalled), one cut over, one blocked by a failed log
restore, a backup holding two databases, one named only by its file names (inferred), one
started again with a full restore that overwrites, and one restoring now.
"""

from __future__ import annotations

import random
from typing import Any

from jobs.simulator import errors
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


def live_step(rng, started: float, duration: float, db: str, target, name: str) -> Job:
    """A log restore of `db` that is TRANSFERRING from `started` for `duration`."""
    spec = Spec(
        job_id(rng),
        name,
        "TRANSFERRING",
        started,
        duration,
        target,
        log_files(db, started - HOUR, 4),
        instance_name=target.name,
        bucket="mig-backups",
        options={
            "recovery_mode": "incre",
            "is_last_backup": False,
            "is_default_restore": False,
            "db_names": [db],
        },
    )
    data = build(spec)
    data.pop("finish_time")
    return Job(data, started, ip=target.ip, lifecycle=Lifecycle(started, duration, "SUCCESS", ""))
