"""Create requests prefilled from a job we show: Recreate (a failed job, with the hint's fix where
one applies), Restore next backup and Cut over (the chain's next step on the same target)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from jobs.actions.body import BackupFile, CreateRequest
from jobs.drs import Job
from jobs.hints import hints_for

RECREATE, NEXT_BACKUP, CUT_OVER = "recreate", "next", "cutover"
KINDS = (RECREATE, NEXT_BACKUP, CUT_OVER)
_SUFFIX = re.compile(r"-(?:r|next|cut)\d*$")


@dataclass
class Proposal:
    """A change to the prefilled request and why (shown beside the form)."""

    field: str
    value: object
    why: str


@dataclass
class Prefill:
    request: CreateRequest
    kind: str
    source_job_id: str
    proposals: list[Proposal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the detail cannot tell us


def new_name(name: str, suffix: str) -> str:
    """`sales-restore` → `sales-restore-r2`: a name that still fits the 50-character rule."""
    stem = _SUFFIX.sub("", name or "job") or "job"
    if not stem[0].isalpha():
        stem = "job-" + stem
    return f"{stem[: 50 - len(suffix) - 1]}-{suffix}"


def prefill(job: Job, kind: str) -> Prefill:
    """The request `kind` makes from `job`'s detail."""
    options, backup = job.options, job.backup_info
    source = (backup.file_source or "OBS").upper()
    request = CreateRequest(
        name=new_name(job.name, {RECREATE: "r2", NEXT_BACKUP: "next", CUT_OVER: "cut"}[kind]),
        description=job.base_info.description,
        enterprise_project_id=job.base_info.enterprise_project_id,
        tags={t.key: t.value for t in job.base_info.tags if t.key},
        target_instance_id=job.target_db_info.target_instance_id,
        ms_file_stream_status=job.target_db_info.ms_file_stream_status,
        file_id=job.target_db_info.file_id,
        file_source=source,
        bucket_name=backup.bucket_name,
        files=[BackupFile(name=f.name) for f in backup.files] if kind == RECREATE else [],
        recovery_mode=options.recovery_mode or "full",
        is_last_backup=True if options.is_last_backup is None else options.is_last_backup,
        is_precheck=True,  # on by default, whatever the failed job had
        is_cover=bool(options.is_cover),
        is_default_restore=True
        if options.is_default_restore is None
        else options.is_default_restore,
        db_names=list(options.db_names),
        new_db_name=dict(options.reset_db_name_map).get("", "") if kind == RECREATE else "",
        is_delete_backup_file=(
            True if options.is_delete_backup_file is None else options.is_delete_backup_file
        ),
        consistency_check_mode=options.consistency_check_mode,
    )
    result = Prefill(request, kind, job.id)
    if kind == RECREATE:
        _recreate_notes(job, result)
    else:
        _chain_step(job, kind, result)
    return result


def _recreate_notes(job: Job, result: Prefill) -> None:
    request = result.request
    if request.file_source == "OBS" and request.files:
        result.notes.append(
            _(
                "DRS's answer does not include the files' OBS paths: check them "
                "(empty means the bucket's top level)."
            )
        )
    if request.file_source == "RDS":
        request.files = [BackupFile()]
        result.notes.append(
            _(
                "DRS's answer does not include the RDS backup's version and source "
                "instance: fill them in."
            )
        )
    codes = {hint.code for hint in hints_for(job.error_log or "")}
    if "exists" in codes and not request.is_cover:
        request.is_cover = True
        result.proposals.append(
            Proposal(
                "is_cover",
                True,
                _(
                    "The failure says the database already exists on the target and overwriting "
                    "was off: overwrite is turned on. DRS turns off the target's high availability "
                    "while it overwrites; turn it back off to keep the existing database."
                ),
            )
        )
    if codes & {"3201-missing", "obs-missing"}:
        result.notes.append(
            _(
                "The failure says the file was not found: check the file names "
                "and OBS paths against the bucket before sending."
            )
        )
    if job.status.is_failed and "PRECHECK" in str(job.status):
        result.notes.append(
            _("The precheck failed last time; it stays on so DRS checks again before restoring.")
        )


def _chain_step(job: Job, kind: str, result: Prefill) -> None:
    request = result.request
    request.recovery_mode = "incre"
    request.is_last_backup = kind == CUT_OVER
    request.new_db_name = ""
    request.is_cover = False
    if kind == CUT_OVER:
        result.notes.append(
            _(
                "Cut over: the last restore of the chain. When it finishes, the "
                "database comes online and takes no more restores."
            )
        )
    else:
        result.notes.append(
            _(
                "Next backup: the database stays restoring (not readable) so "
                "later backups can still be applied."
            )
        )
    result.notes.append(
        _("Same target, databases and options as %(job)s: name the next backup file(s).")
        % {"job": job.name or job.id}
    )


def offered(tenant, role: str, job: Job) -> dict | None:
    """The actions the job page offers `role` on `job`, or None (actions off, or a viewer)."""
    from jobs.actions.forms import TagForm
    from jobs.tenants.models import Role

    if not tenant.actions_enabled or Role(role).rank < Role.OPERATOR.rank:
        return None
    from_obs = (job.backup_info.file_source or "OBS").upper() == "OBS"
    restoring = job.options.is_last_backup is False and str(job.status) == "SUCCESS"
    return {
        "failed": job.is_failed,
        "finished": job.is_terminal,
        "chain": from_obs and restoring,
        "tag_form": TagForm(),
    }


def offered_on_chain(tenant, role: str, migration) -> dict | None:
    """The next step a migration page offers `role`: Restore next backup and Cut over while the
    database awaits its next backup, Recreate when a step failed; from the chain's last job,
    while DRS still has it. None when actions are off, for viewers, or when nothing applies."""
    from jobs.tenants.models import Role

    if not tenant.actions_enabled or Role(role).rank < Role.OPERATOR.rank:
        return None
    chain, job = migration.chain, migration.chain.last_job
    if job is None or job.deleted_at is not None:
        return None
    awaiting = migration.state in ("awaiting", "stalled") and bool(chain.bucket)
    failed = migration.state == "failed"
    if not (awaiting or failed):
        return None
    return {"job_id": job.job_id, "job_name": job.name, "chain": awaiting, "failed": failed}
