"""Where a job id lives among the tenants a person may see: the mirror first, then each
tenant's DRS for an id the mirror does not know (what DRS answers goes into the mirror,
`jobs.mirror.record.saw_detail`)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from jobs import drs
from jobs.mirror.models import MirroredJob
from jobs.mirror.record import saw_detail
from jobs.tenants.models import Tenant
from jobs.upstream.client import client_for


@dataclass(frozen=True)
class Found:
    tenant: Tenant
    job_id: str


def find_job(
    tenants: list[Tenant],
    job_id: str,
    failures: list | None = None,
    may_ask_upstream: Callable[[], bool] = lambda: True,
) -> list[Found] | None:
    """Where a job id lives among `tenants`: the mirror first; for an id it does not know, each
    tenant's DRS (in parallel, each within LOOKUP_TENANT_TIMEOUT), so support staff with an id
    from a ticket never have to know the tenant. Tenants whose DRS failed (other than "no such
    job") are added to `failures` as (tenant, DrsError). None when DRS would be asked but this
    person may not make it (`may_ask_upstream`)."""
    by_pk = {t.pk: t for t in tenants}
    known = (
        MirroredJob.objects.filter(tenant__in=tenants, job_id=job_id)
        .order_by("deleted_at", "tenant__name")
        .values_list("tenant_id", flat=True)
    )
    if known:
        return [Found(by_pk[pk], job_id) for pk in known]
    if tenants and not may_ask_upstream():
        return None
    return _ask_upstream(tenants, job_id, failures if failures is not None else [])


def _ask_upstream(tenants: list[Tenant], job_id: str, failures: list) -> list[Found]:
    """Threads only call DRS; what they find is written to the mirror here, on this thread's
    database connection."""
    timeout = settings.LOOKUP_TENANT_TIMEOUT

    def ask(tenant: Tenant):
        fetched_at = timezone.now()
        try:
            return tenant, client_for(tenant, deadline=timeout).get_job(job_id), fetched_at
        except drs.JobNotFound:
            return None
        except drs.DrsError as error:
            failures.append((tenant, error))
            return None

    if not tenants:
        return []
    pool = ThreadPoolExecutor(max_workers=min(len(tenants), settings.SYNC_CONCURRENCY))
    try:
        futures = [pool.submit(ask, t) for t in tenants]
        done, _ = wait(futures, timeout=timeout + 1)
        answers = [f.result() for f in futures if f in done and f.result() is not None]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    for tenant, job, fetched_at in answers:
        saw_detail(tenant, job_id, job, fetched_at)
    return [Found(tenant, job_id) for tenant, _job, _at in answers]
