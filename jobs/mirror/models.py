"""The mirror: what we keep about each job (row, snapshot, status history, events), the one
definition of alive, running, finished, failed and stalled (`MirroredJobQuerySet`, with the
same tests on a row as properties), and how fresh each tenant's mirror is (`TenantSyncState`,
written by the sync). Job data is written only through `jobs.mirror.record`."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jobs.drs import models as drs_models
from jobs.tenants.models import Tenant

# The statuses JobStatus calls finished and failed, among those it knows, as sorted tuples: the
# failures index's condition (migration 0007) and the queries spell them alike. An unknown
# status is neither: such a job runs until DRS gives it a finish time.
SUCCESS = str(drs_models.SUCCESS)
TERMINAL_STATUSES = tuple(sorted(str(s) for s in drs_models.TERMINAL_STATUSES))
FAILED_STATUSES = tuple(sorted(str(s) for s in drs_models.FAILED_STATUSES))


def size_class(total_bytes: int | None) -> int | None:
    """A job's size class: jobs within a factor of 4 of each other in total backup size share
    one (`MirroredJob.size_class`; the progress estimates compare jobs of one class)."""
    if not total_bytes or total_bytes < 1:
        return None
    return int(math.log(total_bytes, 4))


class JobSnapshot(models.Model):
    """The last response we got for a job, kept so the page survives upstream failures."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="snapshots")
    job_id = models.CharField(max_length=64)
    name = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=40, blank=True)
    raw_json = models.TextField()
    request_id = models.CharField(max_length=64, blank=True)
    fetched_at = models.DateTimeField()
    first_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint("tenant", "job_id", name="one_snapshot_per_job")]

    def __str__(self) -> str:
        return f"{self.tenant} {self.job_id} {self.status}"

    @property
    def history(self):
        """The job's status history, kept on its mirror row."""
        return JobStatusChange.objects.filter(job__tenant=self.tenant_id, job__job_id=self.job_id)


class MirroredJobQuerySet(models.QuerySet):
    """The one definition of a mirrored job's state, in SQL. Each method has a row property
    that says the same of one row (`is_alive`, `is_running`, ...); tests/mirror checks both
    agree on every kind of row.

    - alive: DRS still has it (`deleted_at` unset).
    - finished: it has a finish time, or a status JobStatus calls terminal.
    - running: alive, not finished, and with a status (a row without one says nothing yet).
    - failed: a failed status (FAILED, PRECHECK FAILED).
    - succeeded: SUCCESS.
    - stalled: running and flagged "longer than usual" (`stalled_at`).

    `running()` spells its filter as the `mirror_unfinished` index's condition, and
    `alive().failed()` as `mirror_failures`', so the partial indexes serve them.
    """

    def alive(self) -> MirroredJobQuerySet:
        return self.filter(deleted_at=None)

    def finished(self) -> MirroredJobQuerySet:
        return self.filter(
            models.Q(finish_time__isnull=False) | models.Q(status__in=TERMINAL_STATUSES)
        )

    def running(self) -> MirroredJobQuerySet:
        return (
            self.filter(deleted_at=None, finish_time=None)
            .exclude(status__in=TERMINAL_STATUSES)
            .exclude(status="")
        )

    def failed(self) -> MirroredJobQuerySet:
        return self.filter(status__in=FAILED_STATUSES)

    def succeeded(self) -> MirroredJobQuerySet:
        return self.filter(status=SUCCESS)

    def stalled(self) -> MirroredJobQuerySet:
        return self.running().filter(stalled_at__isnull=False)


class MirroredJob(models.Model):
    """What we know of one job, kept fresh by the background sync (`jobs.sync`) and by every
    detail anyone fetches (`jobs.mirror.record`). Fleet pages read these rows and never call
    DRS."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="mirrored_jobs")
    job_id = models.CharField(max_length=64)
    name = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=40, blank=True)
    engine_type = models.CharField(max_length=40, blank=True)
    error_log = models.TextField(blank=True)
    description = models.TextField(blank=True)
    create_time = models.DateTimeField(null=True, blank=True)
    finish_time = models.DateTimeField(null=True, blank=True)
    enterprise_project_id = models.CharField(max_length=64, blank=True)
    # `jobs.hints.signature(error_log)`, written with the error log: failures group by it.
    failure_signature = models.CharField(max_length=120, blank=True)
    # A digest of the list fields as last written (`record.Seen.digest`): a run that finds
    # nothing new compares these, not every field.
    seen_digest = models.CharField(max_length=32, blank=True)
    # From the detail response: the backup files' total, and its size class (powers of 4).
    total_bytes = models.BigIntegerField(null=True, blank=True)
    size_class = models.SmallIntegerField(null=True, blank=True)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()  # when DRS last showed it to us
    synced_at = models.DateTimeField()  # when the row was last written
    deleted_at = models.DateTimeField(null=True, blank=True)  # gone from DRS
    stalled_at = models.DateTimeField(null=True, blank=True)  # flagged "longer than usual"
    needs_detail = models.BooleanField(default=False)  # status changed: fetch the detail
    snapshot = models.ForeignKey(
        JobSnapshot, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = MirroredJobQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "job_id"], name="one_mirror_row_per_job")
        ]
        indexes = [
            models.Index(fields=["tenant", "-create_time"], name="mirror_tenant_created"),
            models.Index(fields=["tenant", "status", "-create_time"], name="mirror_tenant_status"),
            models.Index(fields=["status", "-create_time"], name="mirror_status_created"),
            models.Index(fields=["job_id"], name="mirror_job_id"),
            models.Index(
                fields=["tenant", "size_class", "status"], name="mirror_tenant_size_class"
            ),
            models.Index(
                fields=["tenant"],
                name="mirror_needs_detail",
                condition=models.Q(needs_detail=True),
            ),
            # The fleet pages: counts over recent jobs, running jobs, failures by cause.
            models.Index(
                fields=["tenant", "-create_time", "status"],
                name="mirror_recent",
                condition=models.Q(deleted_at=None),
            ),
            models.Index(
                fields=["tenant", "create_time"],
                name="mirror_unfinished",
                condition=models.Q(deleted_at=None, finish_time=None),
            ),
            models.Index(
                fields=["failure_signature", "-create_time", "tenant"],
                name="mirror_failures",
                condition=models.Q(deleted_at=None, status__in=FAILED_STATUSES),
            ),
            # "Finished in the last hour" across however many tenants: newest end first.
            models.Index(
                fields=["-finish_time", "tenant"],
                name="mirror_finished",
                condition=models.Q(deleted_at=None, finish_time__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.job_id} {self.status}"

    # What `MirroredJobQuerySet` says, for one row in hand.

    @property
    def is_alive(self) -> bool:
        return self.deleted_at is None

    @property
    def is_finished(self) -> bool:
        return self.finish_time is not None or self.status in TERMINAL_STATUSES

    @property
    def is_running(self) -> bool:
        return self.is_alive and not self.is_finished and self.status != ""

    @property
    def is_failed(self) -> bool:
        return self.status in FAILED_STATUSES

    @property
    def is_succeeded(self) -> bool:
        return self.status == SUCCESS

    @property
    def is_stalled(self) -> bool:
        return self.is_running and self.stalled_at is not None

    def duration(self, now: datetime | None = None) -> timedelta | None:
        """Create to finish; for a job not finished, create to `now`."""
        if self.create_time is None:
            return None
        end = self.finish_time or (None if self.is_finished else (now or timezone.now()))
        return None if end is None else max(end - self.create_time, timedelta(0))


class JobStatusChange(models.Model):
    """A status the job was seen in: when we saw it, and DRS's own finish time if it had one."""

    job = models.ForeignKey(MirroredJob, on_delete=models.CASCADE, related_name="history")
    status = models.CharField(max_length=40)
    seen_at = models.DateTimeField()
    finish_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["seen_at", "id"]

    def __str__(self) -> str:
        return f"{self.status} at {self.seen_at:%Y-%m-%d %H:%M:%S}"

    @property
    def happened_at(self) -> datetime:
        """The upstream finish time when there is one: right even when nobody was watching."""
        return self.finish_time or self.seen_at


class JobEvent(models.Model):
    """ "This job changed", for notifications: written with the change, claimed by a sender
    with `filter(pk=…, processed_at=None).update(processed_at=now)`."""

    class Kind(models.TextChoices):
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        PRECHECK_FAILED = "precheck_failed", _("Pre-check failed")
        STALLED = "stalled", _("Running longer than usual")
        DELETED = "deleted", _("Deleted in DRS")
        RENAMED = "renamed", _("Renamed")
        # A database's migration (its chain, `Chain`): waiting too long for its next backup,
        # cut over, or blocked by a failed step.
        AWAITING_CUTOVER = "awaiting_cutover", _("Awaiting next backup too long")
        DATABASE_ONLINE = "database_online", _("Database online")
        CHAIN_BLOCKED = "chain_blocked", _("Step failed: chain blocked")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="job_events")
    job = models.ForeignKey(MirroredJob, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField()  # upstream time when known, else when we saw it
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    # A chain's event names its database: one backup restores several, each its own migration
    # with its own event. "" for a job's own events.
    database = models.CharField(max_length=128, blank=True, default="")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "kind", "occurred_at", "database"], name="one_event_per_change"
            )
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="events_waiting",
                condition=models.Q(processed_at=None),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.job_id} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"


class TenantSyncState(models.Model):
    """How the background sync of one tenant is going."""

    tenant = models.OneToOneField(
        Tenant, on_delete=models.CASCADE, primary_key=True, related_name="sync_state"
    )
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_full_walk_at = models.DateTimeField(null=True, blank=True)
    # A full walk longer than one run: when it began, where the next run resumes it, and the
    # list's length as DRS last reported it (None when no walk is under way).
    walk_started_at = models.DateTimeField(null=True, blank=True)
    walk_offset = models.PositiveIntegerField(default=0)
    walk_count = models.PositiveIntegerField(null=True, blank=True)
    details_pending = models.PositiveIntegerField(default=0)  # rows needing their detail
    last_duration_ms = models.PositiveIntegerField(default=0)
    last_calls = models.PositiveIntegerField(default=0)
    last_note = models.CharField(max_length=200, blank=True)  # e.g. "call budget spent"
    running_jobs = models.PositiveIntegerField(default=0)
    jobs_total = models.PositiveIntegerField(default=0)  # mirror rows not deleted, after a run
    details_known = models.PositiveIntegerField(default=0)  # of those, with a detail fetched
    next_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    error = models.TextField(blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_request_id = models.CharField(max_length=64, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    calls_ok_total = models.PositiveBigIntegerField(default=0)
    calls_failed_total = models.PositiveBigIntegerField(default=0)
    calls_throttled_total = models.PositiveBigIntegerField(default=0)
    # When a run last changed what the fleet pages show (mirror rows, counts, failing or not, the
    # note): the overview's refresh answers "unchanged" while no visible tenant's stamp moved.
    changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"sync of {self.tenant_id}"

    @property
    def is_failing(self) -> bool:
        return self.failing_since is not None


class Chain(models.Model):
    """One database's migration into one target instance: the jobs that restored it, in order
    of creation (`ChainStep`), and its state now, kept by `jobs.mirror.chains` whenever a step's
    job changes. "Stalled" is not stored: it is awaiting for longer than the tenant's
    threshold (`Tenant.awaiting_threshold_hours`), so it follows the clock."""

    class State(models.TextChoices):
        RESTORING = "restoring", _("Restoring")
        AWAITING = "awaiting", _("Awaiting next backup")
        ONLINE = "online", _("Online")
        FAILED = "failed", _("Failed")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="chains")
    target_instance_id = models.CharField(max_length=64)
    database = models.CharField(max_length=128)
    instance_name = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=12, choices=State.choices)
    since = models.DateTimeField(null=True, blank=True)  # in this state since
    started_at = models.DateTimeField(null=True, blank=True)  # the current run's first step
    steps = models.PositiveIntegerField(default=0)  # in the current run
    runs = models.PositiveIntegerField(default=1)  # a full restore with overwrite starts one
    failed_step = models.PositiveIntegerField(null=True, blank=True)
    inferred = models.BooleanField(default=False)  # the name was read from file names
    bucket = models.CharField(max_length=63, blank=True)
    total_bytes = models.BigIntegerField(default=0)  # the current run's backup files
    last_job = models.ForeignKey(
        MirroredJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    awaiting_flagged_at = models.DateTimeField(null=True, blank=True)  # event written
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "target_instance_id", "database"], name="one_chain_per_database"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "state", "since"], name="chain_tenant_state"),
            models.Index(fields=["state", "since"], name="chain_state_since", include=["tenant"]),
            models.Index(fields=["database"], name="chain_database"),
            models.Index(fields=["target_instance_id"], name="chain_instance"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.target_instance_id}/{self.database} {self.state}"


class ChainStep(models.Model):
    """One job's place in one chain (a backup of several databases is in several)."""

    chain = models.ForeignKey(Chain, on_delete=models.CASCADE, related_name="chain_steps")
    job = models.ForeignKey(MirroredJob, on_delete=models.CASCADE, related_name="chain_steps")
    create_time = models.DateTimeField(null=True, blank=True)
    run = models.PositiveIntegerField(default=1)
    position = models.PositiveIntegerField(default=1)  # within its run, from 1
    full = models.BooleanField(default=True)
    last_backup = models.BooleanField(null=True)
    overwrite = models.BooleanField(null=True)
    inferred = models.BooleanField(default=False)
    file_count = models.PositiveIntegerField(default=0)
    first_file = models.CharField(max_length=255, blank=True)
    last_file = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["create_time", "id"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "job"], name="one_step_per_job_and_chain")
        ]
        indexes = [models.Index(fields=["chain", "create_time"], name="chainstep_order")]

    def __str__(self) -> str:
        return f"step {self.run}.{self.position} of {self.chain_id}"


class JobDay(models.Model):
    """The fleet pages' figures over jobs, per tenant, day (UTC, of the job's create time),
    status and whether DRS deleted the job: kept by `jobs.mirror.rollups` in the transaction
    that writes the mirror rows it sums, rebuilt from them by `manage.py rollups rebuild`.
    A job is in exactly one row (none without a create time); a change of status or a
    deletion moves it. Durations are whole seconds, create to finish, of jobs with both."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    status = models.CharField(max_length=40, blank=True)
    deleted = models.BooleanField(default=False)
    jobs = models.BigIntegerField(default=0)
    timed = models.BigIntegerField(default=0)  # of them, with a create and a finish time
    duration_total = models.BigIntegerField(default=0)  # seconds, over the timed ones
    duration_max = models.BigIntegerField(default=0)  # seconds
    total_bytes = models.BigIntegerField(default=0)  # their backup files, as far as known
    chain_jobs = models.BigIntegerField(default=0)  # of them, steps of a chain
    chain_bytes = models.BigIntegerField(default=0)  # their backup files: restore volume

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "day", "status", "deleted"], name="one_job_day_per_bucket"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.day} {self.status} {self.jobs}"


class ChainDay(models.Model):
    """Databases (chains) per tenant, day (UTC, of `Chain.since`) and state: how many are in
    that state since that day. Kept with the chains (`jobs.mirror.chains`), rebuilt with
    `JobDay`."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    state = models.CharField(max_length=12)
    chains = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "day", "state"], name="one_chain_day_per_bucket"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.day} {self.state} {self.chains}"
