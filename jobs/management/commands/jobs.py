"""`manage.py jobs show|list`: a tenant's DRS jobs from a terminal or a script.

Exit status: 0 when it worked; 1 for a job DRS does not have, an invalid job id, a bad filter
or an unknown tenant; 2 when DRS or the credentials failed (rejected, throttled, unavailable).
Errors go to stderr with the DRS error code and request id. `--json` prints only JSON on stdout.
Each run asks DRS directly: no cache, no snapshot.
"""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from django.core.management.base import BaseCommand, CommandError, no_translations

from jobs import drs
from jobs.drs.models import BackupFile, Job
from jobs.fleet.serialize import job_to_api, summary_to_api
from jobs.hints import hints_for
from jobs.job_page import presenter
from jobs.job_page.formatting import file_size, human_duration
from jobs.lib.terminal import json_text, safe
from jobs.management.output import clean, facts, section, table, utc
from jobs.tenants.models import Tenant
from jobs.upstream.client import client_for
from jobs.upstream.messages import describe, reference

T = TypeVar("T")
NOT_FOUND, UPSTREAM = 1, 2
WRAP = 100
DEFAULT_LIMIT = 50


class Command(BaseCommand):
    help = (
        "Show one DRS job or list a tenant's jobs, as text or --json. "
        "Exit 1: not found or invalid input; 2: DRS or the credentials failed."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="One job: what the job page shows, as text or JSON.")
        show.add_argument("slug", help="Tenant slug (see `tenant list`).")
        show.add_argument("job_id")
        show.add_argument("--json", action="store_true", dest="as_json", help="One JSON object.")
        listing = sub.add_parser("list", help="A page of the tenant's jobs, newest first.")
        listing.add_argument("slug", help="Tenant slug (see `tenant list`).")
        listing.add_argument("--status", default="", help="SUCCESS, FAILED, TRANSFERRING, …")
        listing.add_argument("--name", default="", help="Fuzzy match on the job name.")
        listing.add_argument("--limit", type=int, default=DEFAULT_LIMIT)
        listing.add_argument("--offset", type=int, default=0)
        listing.add_argument("--json", action="store_true", dest="as_json")

    @no_translations
    def handle(self, *args, action, verbosity=1, **options):
        # The client logs every call at INFO; on a terminal that is noise unless asked for (-v2).
        drs_log = logging.getLogger("jobs.drs")
        level = drs_log.level
        if verbosity < 2:
            drs_log.setLevel(logging.WARNING)
        try:
            getattr(self, f"_{action}")(**options)
        finally:
            drs_log.setLevel(level)

    # -- show ----------------------------------------------------------------------------

    def _show(self, *, slug, job_id, as_json, **options):
        tenant = self._tenant(slug)
        job = self._call(tenant, lambda: client_for(tenant).get_job(job_id), job_id=job_id)
        if as_json:
            self.stdout.write(json_text(job_to_api(job), indent=2))
            return
        self.stdout.write("\n".join(job_text(job, tenant)))

    # -- list ----------------------------------------------------------------------------

    def _list(self, *, slug, status, name, limit, offset, as_json, **options):
        if status and not drs.JobStatus(status).is_known:
            valid = ", ".join(f'"{s}"' for s in sorted(drs.JobStatus.KNOWN))
            raise CommandError(
                f"Unknown status {safe(repr(status))}. Valid: {valid} "
                "(any case; _ for a space: precheck_failed)."
            )
        tenant = self._tenant(slug)
        filters = drs.JobFilters(name=name, status=status)
        page = self._call(
            tenant, lambda: client_for(tenant).list_jobs(filters, limit=limit, offset=offset)
        )
        if as_json:
            data = {"count": page.count, "jobs": [summary_to_api(j) for j in page.jobs],
                    "skipped": page.skipped}  # fmt: skip
            self.stdout.write(json_text(data, indent=2))
            return
        now = datetime.now(UTC)
        rows = [
            (
                clean(job.id),
                clean(job.name) or "—",
                clean(job.status) or "—",
                utc(job.create_time),
                utc(job.finish_time) if job.is_terminal else "running",
                human_duration(job.duration(now)),
            )
            for job in page.jobs
        ]
        if rows:
            headers = ("ID", "NAME", "STATUS", "CREATED (UTC)", "FINISHED (UTC)", "DURATION")
            self.stdout.write("\n".join(table(headers, rows)))
        footer = f"{len(page.jobs)} of {page.count} jobs"
        if offset:
            footer += f" (from offset {offset})"
        if page.skipped:
            footer += f"; {page.skipped} items without a usable job id skipped"
        self.stdout.write(footer)

    # -- shared --------------------------------------------------------------------------

    def _tenant(self, slug: str) -> Tenant:
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No tenant {safe(repr(slug))} (see `manage.py tenant list`).")
        return tenant

    def _call(self, tenant: Tenant, call: Callable[[], T], job_id: str = "") -> T:
        """Run a DRS call; turn its failure into a message and the documented exit status."""
        try:
            return call()
        except drs.JobNotFound as error:
            raise CommandError(
                safe(
                    f"DRS has no job {job_id} in the project of tenant {tenant.slug!r}. "
                    f"{reference(error)}"
                ),
                returncode=NOT_FOUND,
            ) from None
        except (drs.InvalidJobId, drs.InvalidFilter) as error:
            raise CommandError(safe(error.error_msg), returncode=NOT_FOUND) from None
        except drs.DrsError as error:
            raise CommandError(safe(describe(error, tenant)), returncode=UPSTREAM) from None


# -- text rendering (pure, so the web or a test can reuse it) ----------------------------


def job_text(job: Job, tenant: Tenant, now: datetime | None = None) -> list[str]:
    """The job page's facts, in its order, as lines of plain text. Times in UTC."""
    state = presenter.database_state(job)
    lines = [clean(job.name) or "(unnamed job)", ""]
    lines += facts(
        [
            ("Status", clean(job.status) or "(no status)"),
            ("Job id", clean(job.id)),
            ("Tenant", f"{clean(tenant.name)} ({tenant.slug})"),
            *(fact_text(fact) for fact in presenter.summary(job, now)),
            ("Database state", f"{state.headline} {state.detail}".strip()),
        ]
    )
    lines += [f"Warning: {warning}" for warning in state.warnings]

    if job.is_failed or job.error_log:
        lines += section("Error log")
        if job.error_log:
            for hint in hints_for(job.error_log):
                lines += textwrap.wrap(
                    f"{hint.title}. {hint.advice}",
                    WRAP,
                    initial_indent="Hint: ",
                    subsequent_indent="      ",
                )
            lines += [
                "",
                *("  " + line for line in clean(job.error_log, multiline=True).split("\n")),
            ]
        else:
            lines.append("DRS gave no error log for this failure.")

    for part in presenter.sections(job):
        lines += section(part.title)
        lines += facts([fact_text(fact) for fact in part.facts])
        if part.id == "files" and job.backup_info.files:
            lines.append("")
            lines += table(
                ("FILE NAME", "SIZE", "LAST MODIFIED (UTC)"), map(file_row, job.backup_info.files)
            )
    lines += ["", f"Request id: {clean(job.request_id) or '—'}"]
    return lines


def fact_text(fact: presenter.Fact) -> tuple[str, str]:
    if fact.kind == presenter.TIME:
        value = utc(fact.value, " UTC")
    elif fact.kind == presenter.CODES:
        value = ", ".join(map(clean, fact.value))
    else:
        value = clean(str(fact.value))
    return fact.label, f"{value} ({fact.note})" if fact.note else value


def file_row(file: BackupFile) -> tuple[str, str, str]:
    # The same form as the total ("45.0 GB"); DRS's own text when it cannot be read.
    size = file_size(file.size_bytes) if file.size_bytes is not None else clean(file.size_text)
    size = size or "—"
    modified = utc(file.last_modified) if file.last_modified else clean(file.last_modified_raw)
    return clean(file.name), size, modified or "—"
