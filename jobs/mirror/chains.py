"""Writing chains: where a job's detail places it (`place`) and each chain's state after one of
its jobs changed (`refresh_job`). Called by `jobs.mirror.record` inside the transaction that
writes the job's row, so a chain never disagrees with its jobs (nor `ChainDay`, the databases
per day and state, nor the restore volume in `JobDay`: `jobs.mirror.rollups`).

A chain's current run starts at its first step, or at the latest full restore with overwrite
after it (a migration started again); earlier runs stay, numbered. Its state is its current
run's last step: running → restoring; failed → failed at that step; succeeded with
`is_last_backup` → online; succeeded otherwise → awaiting next backup (RESTORING). A job
deleted in DRS keeps its place (its row stays, `deleted_at` set).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from jobs.drs.databases import facts
from jobs.drs.models import Job
from jobs.mirror import rollups
from jobs.mirror.models import Chain, ChainStep, JobEvent, MirroredJob
from jobs.mirror.signals import job_event_recorded
from jobs.tenants.models import Tenant

STATE_EVENTS = {
    Chain.State.ONLINE: JobEvent.Kind.DATABASE_ONLINE,
    Chain.State.FAILED: JobEvent.Kind.CHAIN_BLOCKED,
}


def place(tenant: Tenant, row: MirroredJob, job: Job, events_since: datetime | None) -> list[Chain]:
    """Put the job (its mirror row `row`, its detail `job`) in the chains it restores, and
    refresh them and any chain it left."""
    found = facts(job)
    chains: list[Chain] = []
    was_chained = ChainStep.objects.filter(job=row).exists()
    now = timezone.now()
    for restore in found.restores if found else ():
        chain, _created = Chain.objects.select_for_update().get_or_create(
            tenant=tenant,
            target_instance_id=restore.target_instance_id,
            database=restore.database,
            defaults={"state": Chain.State.RESTORING, "updated_at": now},
        )
        values = {
            "create_time": row.create_time,
            "full": found.full,
            "last_backup": found.last_backup,
            "overwrite": found.overwrite,
            "inferred": restore.inferred,
            "file_count": found.file_count,
            "first_file": found.first_file,
            "last_file": found.last_file,
        }
        ChainStep.objects.update_or_create(chain=chain, job=row, defaults=values)
        if job.instance_name and chain.instance_name != job.instance_name[:255]:
            chain.instance_name = job.instance_name[:255]
        if found.bucket:
            chain.bucket = found.bucket
        chains.append(chain)
    kept = [chain.pk for chain in chains]
    left = list(
        Chain.objects.filter(chain_steps__job=row).exclude(pk__in=kept).values_list("pk", flat=True)
    )
    ChainStep.objects.filter(job=row, chain_id__in=left).delete()
    if was_chained != bool(chains):  # its restore volume counts, or no longer
        rollups.move([(rollups.of_row(row, was_chained), rollups.of_row(row, bool(chains)))])
    for chain in chains:
        refresh(chain, events_since)
    for chain in Chain.objects.select_for_update().filter(pk__in=left):
        refresh(chain, events_since)
    return chains


def refresh_job(row: MirroredJob, events_since: datetime | None) -> None:
    """The job changed (status, deletion): refresh the chains it is in."""
    steps = ChainStep.objects.filter(job=row).values("chain_id")
    for chain in Chain.objects.select_for_update().filter(pk__in=steps):  # PostgreSQL: no DISTINCT
        refresh(chain, events_since)


def refresh(chain: Chain, events_since: datetime | None) -> Chain:
    """Number the chain's steps into runs and recompute its state; a chain without steps is
        deleted. Reaching online or failed writes its event, once per step that reached it (not for
    history we learn of)."""
    steps = list(
        ChainStep.objects.filter(chain=chain).select_related("job").order_by("create_time", "id")
    )
    counted = rollups.chain_state(chain)
    if not steps:
        chain.delete()
        rollups.move_chains([(counted, None)])
        return chain
    run, position, changed = 1, 0, []
    for index, step in enumerate(steps):
        if index and step.full and step.overwrite:
            run, position = run + 1, 0
        position += 1
        if (step.run, step.position) != (run, position):
            step.run, step.position = run, position
            changed.append(step)
    if changed:
        ChainStep.objects.bulk_update(changed, ["run", "position"])
    current = [step for step in steps if step.run == run]
    last = current[-1]
    job = last.job
    state, since, failed_step = _state(last, job)
    previous, previous_job = chain.state, chain.last_job_id
    # A new occurrence: another state, or the same one reached again by another step (a retried
    # log restore that failed too; a new awaiting period after the next backup restored).
    occurrence = previous != state or previous_job != job.pk
    chain.state, chain.since, chain.failed_step = state, since, failed_step
    chain.started_at = current[0].create_time
    chain.steps, chain.runs = len(current), run
    chain.inferred = any(step.inferred for step in current)
    chain.total_bytes = sum(step.job.total_bytes or 0 for step in current)
    chain.last_job = job
    if state != Chain.State.AWAITING or occurrence:
        chain.awaiting_flagged_at = None  # a new wait is flagged when it crosses the threshold
    chain.updated_at = timezone.now()
    chain.save()
    rollups.move_chains([(counted, rollups.chain_state(chain))])
    kind = STATE_EVENTS.get(state)
    if kind and occurrence and since and events_since and since >= events_since:
        announce(chain, kind, since, {"database": chain.database, "step": len(current)})
    return chain


def _state(step: ChainStep, job: MirroredJob):
    if job.is_failed:
        return Chain.State.FAILED, job.finish_time or job.create_time, step.position
    if job.is_succeeded:
        moment = job.finish_time or job.create_time
        if step.last_backup:
            return Chain.State.ONLINE, moment, None
        return Chain.State.AWAITING, moment, None
    return Chain.State.RESTORING, job.create_time, None


def announce(chain: Chain, kind: str, occurred_at: datetime, detail: dict) -> bool:
    """A chain's event, on its last job; once per (job, kind, time, database): a backup of
    several databases is a step of several chains, each told on its own."""
    if chain.last_job_id is None:
        return False
    event, created = JobEvent.objects.get_or_create(
        job_id=chain.last_job_id,
        kind=kind,
        occurred_at=occurred_at,
        database=chain.database,
        defaults={
            "tenant_id": chain.tenant_id,
            "detail": {**detail, "instance": chain.target_instance_id},
        },
    )
    if created:
        job_event_recorded.send(sender=JobEvent, event=event)
    return created


def mark_awaiting(tenant: Tenant, now: datetime) -> int:
    """Flag the tenant's chains awaiting their next backup for longer than its threshold, once
    each (until they change), with an "awaiting cutover" event at the moment they crossed it."""
    threshold = timedelta(hours=tenant.awaiting_threshold_hours or 24)
    flagged = 0
    waiting = Chain.objects.filter(
        tenant=tenant,
        state=Chain.State.AWAITING,
        since__lt=now - threshold,
        awaiting_flagged_at=None,
    ).values_list("pk", flat=True)
    for pk in list(waiting):
        with transaction.atomic():
            chain = Chain.objects.select_for_update().filter(pk=pk).first()
            if chain is None or chain.awaiting_flagged_at is not None or chain.since is None:
                continue
            chain.awaiting_flagged_at = now
            chain.save(update_fields=["awaiting_flagged_at"])
            announce(
                chain,
                JobEvent.Kind.AWAITING_CUTOVER,
                chain.since + threshold,
                {"database": chain.database, "since": chain.since.isoformat()},
            )
            flagged += 1
    return flagged


def mark_awaiting_everywhere(now: datetime) -> int:
    """`mark_awaiting` for every tenant with a chain past its threshold and not yet flagged:
    for the notifier's periodic run, so a tenant where nothing happens (the usual way a
    migration stalls, and a sync with nothing new skips the flagging) is still told. One query
    per distinct threshold, then only the tenants that have such a chain."""
    flagged = 0
    thresholds = Tenant.objects.values_list("awaiting_threshold_hours", flat=True).distinct()
    for hours in list(thresholds):
        due = Chain.objects.filter(
            tenant__awaiting_threshold_hours=hours,
            state=Chain.State.AWAITING,
            since__lt=now - timedelta(hours=hours or 24),
            awaiting_flagged_at=None,
        )
        for tenant in Tenant.objects.filter(pk__in=due.values("tenant")):
            flagged += mark_awaiting(tenant, now)
    return flagged
