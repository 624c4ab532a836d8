"""The lookup box's search, from the mirror: jobs by partial id (8 characters or more) or by
name; migrations by database name, target instance id or name, or bucket. Ranked: an exact
match first, then a prefix, then anywhere; newer first within each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from jobs.mirror.models import Chain, MirroredJob
from jobs.tenants.models import Tenant

MIN_TEXT = 3
MIN_ID = 8
LIMIT = 20


@dataclass(frozen=True)
class Hit:
    kind: str  # "job" or "migration"
    tenant: Tenant
    title: str
    detail: str
    matched: str  # which key matched: id, name, database, instance, bucket
    rank: int  # 0 best
    when: datetime | None
    job_id: str = ""
    instance: str = ""
    database: str = ""


def _rank(value: str, text: str) -> int:
    value, text = value.lower(), text.lower()
    return 0 if value == text else 1 if value.startswith(text) else 2


def search(tenants: QuerySet[Tenant] | list[Tenant], text: str) -> list[Hit]:
    """`tenants` as a query stays one subquery however many tenants it holds; only the tenants
    of the hits are loaded."""
    text = text.replace("\x00", "").strip()[:128]  # no NUL reaches PostgreSQL
    if len(text) < MIN_TEXT:
        return []
    hits: list[Hit] = []
    jobs = Q(name__icontains=text)
    if len(text) >= MIN_ID:
        jobs |= Q(job_id__icontains=text)
    rows = (
        MirroredJob.objects.filter(jobs, tenant__in=tenants)
        .order_by("-create_time")
        .only("tenant_id", "job_id", "name", "status", "create_time")[: LIMIT * 2]
    )
    chains = (
        Chain.objects.filter(
            Q(database__icontains=text)
            | Q(target_instance_id__icontains=text)
            | Q(instance_name__icontains=text)
            | Q(bucket__icontains=text),
            tenant__in=tenants,
        )
        .order_by("-since")
        .only(
            "tenant_id",
            "database",
            "target_instance_id",
            "instance_name",
            "bucket",
            "state",
            "since",
        )[: LIMIT * 2]
    )
    rows, chains = list(rows), list(chains)
    by_pk = Tenant.objects.in_bulk({r.tenant_id for r in rows} | {c.tenant_id for c in chains})
    for row in rows:
        by_id = len(text) >= MIN_ID and text.lower() in row.job_id.lower()
        matched, value = ("id", row.job_id) if by_id else ("name", row.name)
        hits.append(
            Hit(
                "job",
                by_pk[row.tenant_id],
                row.name or row.job_id,
                row.status,
                matched,
                _rank(value, text),
                row.create_time,
                job_id=row.job_id,
            )
        )
    for chain in chains:
        keys = (
            ("database", chain.database),
            ("instance", chain.target_instance_id),
            ("instance", chain.instance_name),
            ("bucket", chain.bucket),
        )
        matched, value = min(
            ((k, v) for k, v in keys if v and text.lower() in v.lower()),
            key=lambda kv: _rank(kv[1], text),
        )
        hits.append(
            Hit(
                "migration",
                by_pk[chain.tenant_id],
                chain.database,
                chain.instance_name or chain.target_instance_id,
                matched,
                _rank(value, text),
                chain.since,
                instance=chain.target_instance_id,
                database=chain.database,
            )
        )
    newest_first = sorted(hits, key=lambda h: h.when.timestamp() if h.when else 0, reverse=True)
    return sorted(newest_first, key=lambda h: h.rank)[:LIMIT]
