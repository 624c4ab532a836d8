"""One presenter for a database's migration (a chain), for the pages and `manage.py migrations`:
its state as a value and in words, its steps, and the next step. Reads the mirror only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jobs.hints import hints_for
from jobs.job_page.formatting import human_bytes, human_duration
from jobs.mirror.models import Chain, ChainStep, MirroredJob, TenantSyncState
from jobs.tenants.models import Tenant

STALLED = "stalled"
STATES = ("restoring", "awaiting", STALLED, "online", "failed")
STATE_LABELS = {
    "restoring": gettext_lazy("Restoring"),
    "awaiting": gettext_lazy("Awaiting next backup"),
    STALLED: gettext_lazy("Stalled"),
    "online": gettext_lazy("Online"),
    "failed": gettext_lazy("Failed"),
}


def threshold(tenant: Tenant) -> timedelta:
    return timedelta(hours=tenant.awaiting_threshold_hours or 24)


def state_of(chain: Chain, tenant: Tenant, now: datetime) -> str:
    """The chain's state now: awaiting past the tenant's threshold is stalled."""
    if (
        chain.state == Chain.State.AWAITING
        and chain.since
        and now - chain.since > threshold(tenant)
    ):
        return STALLED
    return chain.state


def with_state(chains: QuerySet[Chain], tenant: Tenant, state: str, now: datetime):
    """Filter a tenant's chains by a state of STATES (stalled and awaiting split by the
    tenant's threshold, in SQL)."""
    cut = now - threshold(tenant)
    if state == STALLED:
        return chains.filter(state=Chain.State.AWAITING, since__lt=cut)
    if state == Chain.State.AWAITING:
        return chains.filter(state=state).filter(Q(since__gte=cut) | Q(since=None))
    return chains.filter(state=state)


def tenant_chains(
    tenant: Tenant, *, state: str = "", instance: str = "", database: str = "", now=None
) -> QuerySet[Chain]:
    now = now or timezone.now()
    chains = Chain.objects.filter(tenant=tenant).select_related("last_job")
    if state in STATES:
        chains = with_state(chains, tenant, state, now)
    if instance:
        chains = chains.filter(
            Q(target_instance_id__icontains=instance) | Q(instance_name__icontains=instance)
        )
    if database:
        chains = chains.filter(database__icontains=database)
    return chains.order_by("database", "target_instance_id")


def state_words(chain: Chain, state: str) -> str:
    since = chain.since.strftime("%Y-%m-%d %H:%M UTC") if chain.since else "—"
    if state == "restoring":
        return _("Step %(n)d is restoring, started %(since)s.") % {"n": chain.steps, "since": since}
    if state in ("awaiting", STALLED):
        words = _("RESTORING (not readable) since %(since)s, awaiting its next backup.") % {
            "since": since
        }
        if state == STALLED:
            words += " " + _("Longer than the tenant's threshold: the migration may have stalled.")
        return words
    if state == "online":
        return _("Cut over: ONLINE since %(since)s.") % {"since": since}
    return _("Failed at step %(n)d on %(since)s.") % {"n": chain.failed_step or 0, "since": since}


def leaves(chain: Chain, job: MirroredJob | None) -> str:
    """What a failed step leaves the database as."""
    if job is None:
        return ""
    if job.status == "PRECHECK FAILED":
        return _("Nothing was restored: the pre-check stopped the job; the database is as it was.")
    if (chain.failed_step or 1) <= 1:
        return _(
            "The full restore did not finish: the database is not usable on the target "
            "(missing, or as it was before if it was being overwritten)."
        )
    return _(
        "The database stays RESTORING at the last backup restored (step %(n)d); later "
        "backups cannot be restored until the missing one is."
    ) % {"n": (chain.failed_step or 1) - 1}


def next_step(chain: Chain, state: str) -> str:
    if state == "restoring":
        return _("Wait for the running step to finish.")
    if state in ("awaiting", STALLED):
        return _(
            "Restore the next log or differential backup (is_last_backup=false), or cut over "
            "with the final backup (is_last_backup=true)."
        )
    if state == "online":
        return _("None: the database is online and takes no more restores.")
    return _(
        "Fix the cause below, then restore the same backup again; a new full restore with "
        "overwrite starts the migration again."
    )


@dataclass
class Step:
    position: int
    run: int
    job_id: str
    name: str
    status: str
    full: bool
    last_backup: bool | None
    inferred: bool
    deleted: bool
    created: datetime | None
    finished: datetime | None
    duration: str
    files: int
    first_file: str
    last_file: str
    size: str
    hint: str = ""

    def as_json(self) -> dict:
        return {
            "run": self.run,
            "position": self.position,
            "job_id": self.job_id,
            "name": self.name,
            "status": self.status,
            "full": self.full,
            "last_backup": self.last_backup,
            "deleted": self.deleted,
            "create_time": _iso(self.created),
            "finish_time": _iso(self.finished),
            "files": self.files,
        }


@dataclass
class Migration:
    chain: Chain
    tenant: Tenant
    state: str
    label: str
    words: str
    next_step: str
    leaves: str = ""
    hint: str = ""
    steps: list[Step] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return (self.chain.target_instance_id, self.chain.database)

    def as_json(self) -> dict:
        chain = self.chain
        data = {
            "tenant": self.tenant.slug,
            "instance": chain.target_instance_id,
            "instance_name": chain.instance_name,
            "database": chain.database,
            "database_inferred": chain.inferred,
            "state": self.state,
            "since": _iso(chain.since),
            "steps": chain.steps,
            "failed_step": chain.failed_step,
        }
        if self.steps:
            data["step_jobs"] = [s.job_id for s in self.steps if s.run == chain.runs]
            data["timeline"] = [s.as_json() for s in self.steps]
        return data


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def present(chain: Chain, tenant: Tenant, now: datetime | None = None, steps=False) -> Migration:
    now = now or timezone.now()
    state = state_of(chain, tenant, now)
    migration = Migration(
        chain,
        tenant,
        state,
        str(STATE_LABELS[state]),
        state_words(chain, state),
        next_step(chain, state),
    )
    if state == "failed":
        job = chain.last_job
        migration.leaves = leaves(chain, job)
        found = hints_for(job.error_log) if job and job.error_log else []
        migration.hint = found[0].title if found else ""
    if steps:
        migration.steps = timeline(chain, now)
    return migration


def timeline(chain: Chain, now: datetime) -> list[Step]:
    rows = ChainStep.objects.filter(chain=chain).select_related("job").order_by("create_time", "id")
    out = []
    for step in rows:
        job = step.job
        found = hints_for(job.error_log) if job.is_failed and job.error_log else []
        out.append(
            Step(
                position=step.position,
                run=step.run,
                job_id=job.job_id,
                name=job.name,
                status=job.status,
                full=step.full,
                last_backup=step.last_backup,
                inferred=step.inferred,
                deleted=job.deleted_at is not None,
                created=job.create_time,
                finished=job.finish_time,
                duration=human_duration(job.duration(now)),
                files=step.file_count,
                first_file=step.first_file,
                last_file=step.last_file,
                size=human_bytes(job.total_bytes),
                hint=found[0].title if found else "",
            )
        )
    return out


def steps_of_job(tenant: Tenant, job_id: str) -> list[dict]:
    """For the job page: each chain the job is in, its step, and the previous and next jobs."""
    out = []
    mine = ChainStep.objects.filter(chain__tenant=tenant, job__job_id=job_id).select_related(
        "chain"
    )
    for step in mine:
        siblings = list(
            ChainStep.objects.filter(chain=step.chain, run=step.run)
            .order_by("create_time", "id")
            .values_list("job__job_id", flat=True)
        )
        index = siblings.index(job_id) if job_id in siblings else -1
        out.append(
            {
                "chain": step.chain,
                "position": step.position,
                "of": len(siblings),
                "inferred": step.inferred,
                "previous": siblings[index - 1] if index > 0 else "",
                "next": siblings[index + 1] if 0 <= index < len(siblings) - 1 else "",
            }
        )
    return out


@dataclass
class Completeness:
    known: int
    total: int
    eta: timedelta | None

    @property
    def complete(self) -> bool:
        return self.known >= self.total

    def words(self) -> str:
        if self.complete:
            return _("Details known for all %(total)d jobs.") % {"total": self.total}
        text = _("Details known for %(known)d of %(total)d jobs") % {
            "known": self.known,
            "total": self.total,
        }
        if self.eta is not None:
            text += ", " + _("complete in about %(eta)s") % {"eta": human_duration(self.eta)}
        return text + "."


def completeness(tenants, calls_per_minute: int) -> Completeness:
    """From each tenant's last sync run (`TenantSyncState.jobs_total`, `details_known`): no
    count over the mirror at view time."""
    figures = TenantSyncState.objects.filter(tenant__in=tenants).aggregate(
        total=Sum("jobs_total"), known=Sum("details_known")
    )
    total, known = figures["total"] or 0, min(figures["known"] or 0, figures["total"] or 0)
    missing = total - known
    per_minute = max(calls_per_minute - max(calls_per_minute // 4, 2), 1)  # the reserve
    eta = timedelta(minutes=missing / per_minute) if missing else None
    return Completeness(known, total, eta)
