"""`manage.py jobs show|list|create|recreate|rename|delete`: a tenant's DRS jobs from a terminal
or a script. The changes (create, recreate, rename, delete) need the tenant's job actions on,
ask for confirmation unless `--yes`, and are audited as `manage.py`; create and recreate print
the new job's id on the last line.

Exit status: 0 when it worked; 1 for a job DRS does not have, an invalid job id, a bad filter,
an unknown tenant, or a change refused before any call (with the reason); 2 when DRS or the
credentials failed (rejected, throttled, unavailable).
Errors go to stderr with the DRS error code and request id. `--json` prints only JSON on stdout.
Each run asks DRS directly: no cache, no snapshot.
"""

from __future__ import annotations

import json
import logging
import sys
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from django.core.management.base import BaseCommand, CommandError, no_translations

from jobs import drs
from jobs.actions import services
from jobs.actions.body import from_body, problems
from jobs.actions.prefill import RECREATE, prefill
from jobs.actions.services import Actor, Refused
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
CLI = Actor(name="manage.py")
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
        create = sub.add_parser("create", help="Create a job from a CreateOfflineTaskReq body.")
        create.add_argument("slug")
        create.add_argument("--file", required=True, help="The JSON body (- for stdin).")
        recreate = sub.add_parser("recreate", help="Create a failed job again, with the fix.")
        recreate.add_argument("slug")
        recreate.add_argument("job_id")
        rename = sub.add_parser("rename", help="Rename a job (and change its description).")
        rename.add_argument("slug")
        rename.add_argument("job_id")
        rename.add_argument("name")
        rename.add_argument("--description", default=None)
        delete = sub.add_parser("delete", help="Delete finished jobs; running ones are refused.")
        delete.add_argument("slug")
        delete.add_argument("job_ids", nargs="+", metavar="JOB_ID")
        for parser_ in (create, recreate, rename, delete):
            parser_.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

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
            data = {
                "count": page.count,
                "jobs": [summary_to_api(j) for j in page.jobs],
                "skipped": page.skipped,
            }
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

    # -- changes (jobs/actions) ------------------------------------------------------------

    def _create(self, *, slug, file, yes, **options):
        tenant = self._tenant(slug)
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
            request = from_body(json.loads(text))
        except (OSError, ValueError) as error:
            raise CommandError(safe(f"Cannot read {file}: {error}"), returncode=NOT_FOUND) from None
        self._send_create(tenant, request, yes)

    def _recreate(self, *, slug, job_id, yes, **options):
        tenant = self._tenant(slug)
        job = self._call(tenant, lambda: client_for(tenant).get_job(job_id), job_id=job_id)
        if not job.is_failed:
            raise CommandError(
                safe(
                    f"Job {job_id} did not fail ({job.status_raw or 'no status'}): only failed "
                    "jobs are recreated; use `jobs create` for others."
                ),
                returncode=NOT_FOUND,
            )
        filled = prefill(job, RECREATE)
        for proposal in filled.proposals:
            self.stdout.write(safe(f"Proposed fix: {proposal.why}"))
        for note in filled.notes:
            self.stdout.write(safe(f"Note: {note}"))
        self._send_create(tenant, filled.request, yes)

    def _send_create(self, tenant: Tenant, request, yes: bool) -> None:
        found = problems(request)
        if found:
            reasons = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in found.items())
            raise CommandError(safe(f"Refused before sending: {reasons}"), returncode=NOT_FOUND)
        self.stdout.write(json_text(request.body(), indent=2))
        self._confirm(
            f"Create job {request.name} on {request.target_instance_id} in {tenant.slug}?", yes
        )
        outcome = self._act(tenant, lambda: services.create(tenant, request, CLI))
        if not outcome.job_id:
            raise CommandError(safe(outcome.message), returncode=UPSTREAM)
        self.stdout.write(safe(outcome.message))
        self.stdout.write(outcome.job_id)

    def _rename(self, *, slug, job_id, name, description, yes, **options):
        tenant = self._tenant(slug)
        self._confirm(f"Rename job {job_id} to {name} in {tenant.slug}?", yes)
        self._act(
            tenant,
            lambda: services.rename(tenant, job_id, CLI, name=name, description=description),
            job_id,
        )
        self.stdout.write(safe(f"Renamed {job_id} to {name}"))

    def _delete(self, *, slug, job_ids, yes, **options):
        tenant = self._tenant(slug)
        selection = self._act(tenant, lambda: services.select_for_delete(tenant, job_ids))
        for job_id, name, why in selection.refused:
            self.stderr.write(safe(f"Not deleted: {job_id} {name}: {why}"))
        if not selection.deletable:
            raise CommandError("Nothing to delete.", returncode=NOT_FOUND)
        names = ", ".join(f"{name or '-'} ({job_id})" for job_id, name in selection.deletable)
        self._confirm(f"Delete {len(selection.deletable)} job(s) in DRS: {names}?", yes)
        outcomes = self._act(
            tenant, lambda: services.delete(tenant, [i for i, _ in selection.deletable], CLI)
        )
        for outcome in outcomes:
            state = "Deleted" if outcome.deleted else "Not deleted"
            self.stdout.write(safe(f"{state}: {outcome.job_id} {outcome.name}: {outcome.message}"))
        if selection.refused or any(not o.deleted for o in outcomes):
            raise CommandError("Some jobs were not deleted.", returncode=NOT_FOUND)

    def _confirm(self, question: str, yes: bool) -> None:
        if yes:
            return
        if not sys.stdin.isatty():
            raise CommandError(
                "Confirmation needed: pass --yes (stdin is not a terminal).", returncode=NOT_FOUND
            )
        answer = input(safe(question) + " [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            raise CommandError("Not confirmed: nothing was sent.", returncode=NOT_FOUND)

    def _act(self, tenant: Tenant, call: Callable[[], T], job_id: str = "") -> T:
        try:
            return self._call(tenant, call, job_id)
        except Refused as refused:
            reasons = "; ".join(" ".join(m) for m in refused.problems.values())
            message = refused.message + (f" {reasons}" if reasons else "")
            raise CommandError(safe(message), returncode=NOT_FOUND) from None

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
