"""What the fault suites share: a case's probe jobs on the simulator and their pages."""

from __future__ import annotations

from django.core.cache import cache

from jobs.mirror.models import JobSnapshot


class ProbeJobs:
    """For a dataclass with `client`, `tenant`, `simulator` and a class-level `probe_name`."""

    probe_name = "probe"

    def new_job(self) -> str:
        return self.simulator.add_live_job(600, name=self.probe_name)

    def seen_job(self) -> tuple[str, JobSnapshot]:
        """A running job we have a snapshot of; its cached result has expired."""
        job_id = self.new_job()
        assert self.client.get(self.job_url(job_id)).status_code == 200
        cache.clear()  # as if the refresh interval had passed
        return job_id, JobSnapshot.objects.get(tenant=self.tenant, job_id=job_id)

    def job_url(self, job_id: str) -> str:
        return f"/tenants/{self.tenant.slug}/jobs/{job_id}/"
