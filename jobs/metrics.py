"""Prometheus metrics read from the database at scrape time, so they are the same whichever web
process answers and include what Celery workers did."""

from __future__ import annotations

from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from jobs.mirror.models import JobEvent, MirroredJob, TenantSyncState


class MirrorCollector:
    def collect(self):
        now = timezone.now()
        lag = GaugeMetricFamily(
            "drs_sync_lag_seconds", "Seconds since the last successful sync", labels=["tenant"]
        )
        failing = GaugeMetricFamily(
            "drs_sync_failing", "1 while the tenant's sync keeps failing", labels=["tenant"]
        )
        duration = GaugeMetricFamily(
            "drs_sync_last_duration_seconds", "Duration of the last sync run", labels=["tenant"]
        )
        calls = CounterMetricFamily(
            "drs_sync_upstream_calls", "DRS calls made by the sync", labels=["tenant", "outcome"]
        )
        for state in TenantSyncState.objects.select_related("tenant"):
            slug = state.tenant.slug
            if state.last_success_at:
                lag.add_metric([slug], (now - state.last_success_at).total_seconds())
            failing.add_metric([slug], 1 if state.failing_since else 0)
            duration.add_metric([slug], state.last_duration_ms / 1000)
            calls.add_metric([slug, "ok"], state.calls_ok_total)
            calls.add_metric([slug, "failed"], state.calls_failed_total)
            calls.add_metric([slug, "throttled"], state.calls_throttled_total)
        yield from (lag, failing, duration, calls)

        jobs = GaugeMetricFamily(
            "drs_jobs", "Jobs in the mirror by status", labels=["tenant", "status"]
        )
        grouped = (
            MirroredJob.objects.alive()
            .values("tenant__slug", "status")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for item in grouped:
            jobs.add_metric([item["tenant__slug"], item["status"]], item["n"])
        yield jobs
        waiting = GaugeMetricFamily("drs_job_events_waiting", "Job events not yet processed")
        waiting.add_metric([], JobEvent.objects.filter(processed_at=None).count())
        yield waiting
