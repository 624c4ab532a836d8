"""The job page, its live fragment, and the lookup box that leads there."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_htmx.http import HTMX_STOP_POLLING

from jobs import drs
from jobs.actions.prefill import offered
from jobs.chains.present import steps_of_job
from jobs.chains.search import search
from jobs.drs import Job
from jobs.fleet.export import csv_response
from jobs.fleet.lookup import find_job
from jobs.hints import hints_for
from jobs.job_page import presenter
from jobs.job_page.state import (
    JobState,
    NoSnapshot,
    interval,
    job_state,
    jobs_on_target,
    shared_key,
)
from jobs.mirror.models import JobSnapshot, JobStatusChange, MirroredJob
from jobs.sync.progress import Typical
from jobs.tenants.access import (
    Role,
    pick_tenant,
    signed_in,
    tenant_for,
    tenant_role,
    visible_tenants,
)
from jobs.upstream import rate_limits
from jobs.upstream.client import drs_language
from jobs.upstream.messages import explain

TEXT = "text/plain; charset=utf-8"
MAX_BACKOFF_STEPS = 6  # 5 s doubles to at most 5 min 20 s between polls while upstream fails
FILES_SHOWN = 500
UNKNOWN_STATUS_POLL_SECONDS = 60
INCOMPLETE_TRIES = 3  # answers without a status before the page stops asking DRS by itself
TOO_LONG_ID = re.compile(r"(?<![A-Za-z0-9-])[A-Za-z0-9]{8}-[A-Za-z0-9-]{28,}")  # > 36 characters


@tenant_role(Role.VIEWER)
@require_GET
def job_detail(request: HttpRequest, tenant, job_id: str) -> HttpResponse:
    live = request.htmx and request.htmx.target == "job-live"
    if request.htmx and request.htmx.target == "same-target":
        return _same_target(request, tenant, job_id)
    errors = _int(request.GET.get("errors")) if live else 0
    force = request.GET.get("refresh") == "1"
    force = force and _allowed(request, "refresh")
    try:
        state = job_state(tenant, job_id, language=drs_language(), force=force)
    except (drs.JobNotFound, drs.InvalidJobId) as error:
        return _failure(request, tenant, job_id, error, status=404)
    except NoSnapshot as failure:
        if live:
            return _failed_poll(request, tenant, job_id, failure, errors)
        status = 503 if isinstance(failure.error, drs.Throttled | drs.UpstreamUnavailable) else 502
        return _failure(request, tenant, job_id, failure.error, status=status)

    poll_errors = errors + 1 if state.is_stale else 0
    # Answers without a status so far (this one included): asked again a few times, then not.
    asked = 0 if state.job.status_raw else (_int(request.GET.get("incomplete")) if live else 0) + 1
    if not live:
        others = request.GET.get("others") == "1"
        if _page_cacheable(state, force, others, asked):
            return _cached_page(request, tenant, state)
        context = _context(tenant, state, poll_errors, asked)
        context["history"] = _history(tenant, job_id)
        context["deleted_at"] = state.deleted_at or _deleted_at(tenant, job_id)
        context.update(_migration_context(tenant, job_id))
        if not context["deleted_at"]:
            context["actions"] = offered(tenant, request.role, state.job)
        if others:  # without JavaScript, the page brings them along
            context.update(_same_target_context(tenant, job_id, state.job))
        return render(request, "jobs/job.html", context)
    response = HttpResponse(_live_update(request, tenant, state, poll_errors, asked))
    if (
        (state.job.is_terminal and not state.is_stale)
        or state.deleted_at
        or asked >= INCOMPLETE_TRIES
    ):
        response.status_code = HTMX_STOP_POLLING
    return response


def _migration_context(tenant, job_id: str) -> dict:
    """Which database(s) the job restores and which step of their chains it is (from the
    mirror), and its progress and estimated finish while it runs."""
    row = MirroredJob.objects.filter(tenant=tenant, job_id=job_id).first()
    progress = Typical().progress(row, timezone.now()) if row else None
    return {"chain_steps": steps_of_job(tenant, job_id), "progress": progress}


PAGE_CACHE_SECONDS = 600


def _page_cacheable(state: JobState, force: bool, others: bool, asked: int) -> bool:
    """A finished job's page, from a fresh snapshot, as anyone would see it: its body is the
    same for everyone in one language and time zone until the snapshot changes."""
    return state.job.is_terminal and not state.is_stale and not force and not others and not asked


def _cached_page(request, tenant, state: JobState) -> HttpResponse:
    """The body rendered once per snapshot, language and time zone (and deletion mark), kept in
    the shared cache; each request adds only the per-person bits (the watch button, the menu,
    the CSRF token) around it. A miss renders and reads the history once for everyone."""
    key = ":".join(
        (
            "job-page",
            shared_key(tenant, state.job_id, drs_language()),
            timezone.get_current_timezone_name(),
            str(state.fetched_at.timestamp()),
            state.deleted_at.isoformat() if state.deleted_at else "",
        )
    )
    parts = cache.get(key)
    if parts is None:
        context = _context(tenant, state, 0, 0)
        context["history"] = _history(tenant, state.job_id)
        context["deleted_at"] = state.deleted_at or _deleted_at(tenant, state.job_id)
        # Its chain as of this render: a step added later shows within PAGE_CACHE_SECONDS.
        context.update(_migration_context(tenant, state.job_id))
        parts = (
            render_to_string("jobs/job.html#page-top", context, request),
            render_to_string("jobs/job.html#page-rest", context, request),
        )
        cache.set(key, parts, PAGE_CACHE_SECONDS)
    top, rest = parts
    context = {
        "tenant": tenant,
        "job": state.job,
        "job_id": state.job_id,
        "cached_top": mark_safe(top),  # noqa: S308 - our own render, escaped when rendered
        "cached_rest": mark_safe(rest),  # noqa: S308
        # Per person, outside the shared body: the job actions this role may take.
        "actions": None if state.deleted_at else offered(tenant, request.role, state.job),
    }
    return render(request, "jobs/job.html", context)


def _live_update(request, tenant, state: JobState, poll_errors: int, asked: int) -> str:
    """The header, and the other sections when the status changed. An unchanged header is the
    same for every watcher in one language and time zone: rendered once per fetch."""
    changed = request.GET.get("seen") != state.job.status or "refresh" in request.GET
    key = None
    if not changed:
        zone, error = timezone.get_current_timezone_name(), type(state.error).__name__
        key = ":".join(
            (
                "fragment",
                shared_key(tenant, state.job_id, drs_language()),
                zone,
                error,
                str(state.fetched_at.timestamp()),
                str(poll_errors),
                str(asked),
            )
        )
        if (html := cache.get(key)) is not None:
            return html
    context = _context(tenant, state, poll_errors, asked)
    context["changed"] = changed
    if changed:
        context["history"] = _history(tenant, state.job_id)
    html = render_to_string("jobs/job.html#live-update", context, request)
    if key:
        cache.set(key, html, interval())
    return html


def _poll_seconds(job) -> int:
    """A status DRS does not document may never change: ask rarely. (No status at all is an
    incomplete answer, asked a few times at the usual pace.)"""
    if job.status_raw and not job.status.is_known:
        return UNKNOWN_STATUS_POLL_SECONDS
    return interval()


def _missing(job) -> list[str]:
    """What DRS left out of its answer that the page shows. Without a status nobody can tell
    whether the job still runs: the page says so and does not poll for ever."""
    wanted = (
        (_("status"), job.status_raw),
        (_("name"), job.base_info.name),
        (_("created time"), job.create_time),
    )
    return [label for label, value in wanted if not value]


def _summary(job, missing: list[str]) -> tuple:
    facts = presenter.summary(job)
    if job.status_raw:
        return facts
    unknown = {_("Finished"), _("Elapsed")}
    return tuple(
        presenter.Fact(f.label, _("not given by DRS")) if f.label in unknown else f for f in facts
    )


def _context(tenant, state: JobState, poll_errors: int, asked: int = 0) -> dict:
    """The sections are callables: a finished job's are rendered from the template cache, and
    then never built (a job with thousands of files costs nothing on a cache hit)."""
    job = state.job
    missing = _missing(job)
    return {
        "tenant": tenant,
        "state": state,
        "job": job,
        "job_id": state.job_id,
        "missing": missing,
        "asked": asked,
        "tries_left": max(INCOMPLETE_TRIES - asked, 0),
        "summary": _summary(job, missing),
        "db_state": presenter.database_state(job),
        "sections": lambda: presenter.sections(job),
        "hints": lambda: hints_for(job.error_log),
        "files": lambda: job.backup_info.files,
        "files_shown": lambda: job.backup_info.files[:FILES_SHOWN],
        "files_hidden": lambda: job.backup_info.file_count > FILES_SHOWN,
        "elapsed_units": "|".join((_("h"), _("min"), _("s"))),
        "poll_seconds": _poll_seconds(job),
        "poll_errors": min(poll_errors, MAX_BACKOFF_STEPS),
        "polling": (not job.is_terminal or state.is_stale)
        and not state.deleted_at
        and asked < INCOMPLETE_TRIES,
        "deleted_at": state.deleted_at,
    }


def _same_target(request, tenant, job_id: str) -> HttpResponse:
    """From the stored snapshot: asking for the neighbours never refetches the job itself."""
    snapshot = get_object_or_404(JobSnapshot, tenant=tenant, job_id=job_id)
    job = Job.parse_json(snapshot.raw_json)
    context = {"tenant": tenant, "job_id": job_id, "job": job}
    context.update(_same_target_context(tenant, job_id, job))
    return render(request, "jobs/job.html#same-target", context)


def _same_target_context(tenant, job_id: str, job) -> dict:
    instance = job.target_db_info.target_instance_id
    outcome = jobs_on_target(tenant, instance, drs_language())
    others = [j for j in outcome.value.jobs if j.id != job_id] if outcome.ok else []
    return {"others": others, "others_error": outcome.error, "others_shown": True}


def _deleted_at(tenant, job_id: str):
    return (
        MirroredJob.objects.filter(tenant=tenant, job_id=job_id)
        .values_list("deleted_at", flat=True)
        .first()
    )


def _history(tenant, job_id: str) -> list:
    return list(JobStatusChange.objects.filter(job__tenant=tenant, job__job_id=job_id))


def _failed_poll(request, tenant, job_id, failure: NoSnapshot, errors: int) -> HttpResponse:
    """A poll that failed before we ever saw the job: say why and keep polling, slower."""
    context = {
        "tenant": tenant,
        "job_id": job_id,
        "error": failure.error,
        "poll_seconds": interval(),
        "poll_errors": min(errors + 1, MAX_BACKOFF_STEPS),
        "polling": True,
    }
    return render(request, "jobs/job.html#live-failure", context)


def _failure(request, tenant, job_id, error: drs.DrsError, status: int) -> HttpResponse:
    response = render(
        request,
        "jobs/job_failure.html",
        {
            "tenant": tenant,
            "job_id": job_id,
            "error": error,
            "credentials_problem": isinstance(error, drs.AuthenticationFailed),
            "is_admin": request.role == Role.ADMIN,
            "retry_seconds": interval() * 2,
            "retrying": status >= 500 and not isinstance(error, drs.AuthenticationFailed),
        },
        status=status,
    )
    if status == 503:
        response["Retry-After"] = str(interval() * 2)
    return response


@tenant_role(Role.VIEWER)
@require_GET
def job_error_log(request: HttpRequest, tenant, job_id: str) -> HttpResponse:
    """The error log as a text file, for attaching to a ticket."""
    state = _state_for_download(tenant, job_id)
    if isinstance(state, HttpResponse):
        return state
    response = HttpResponse(state.job.error_log, content_type=TEXT)
    response["Content-Disposition"] = f'attachment; filename="{job_id}-error-log.txt"'
    return response


def _allowed(request, action: str) -> bool:
    """Whether this person may make DRS do one more forced refresh or lookup this minute."""
    per_minute = settings.USER_UPSTREAM_ACTIONS_PER_MINUTE
    return rate_limits.allow(request.user.pk, action, per_minute)


def _too_many(request, text: str, tenants, slug: str) -> HttpResponse:
    problem = _(
        "You looked up too many unknown job ids in a minute: try again in %(s)d seconds."
    ) % {"s": rate_limits.retry_after()}
    context = {"tenants": tenants, "selected": slug, "q": text, "problem": problem}
    response = render(request, "jobs/lookup.html", context, status=429)
    response["Retry-After"] = str(rate_limits.retry_after())
    return response


@tenant_role(Role.VIEWER)
@require_GET
def job_files(request: HttpRequest, tenant, job_id: str) -> HttpResponse:
    """Every backup file of the job as CSV: the page lists only the first FILES_SHOWN."""
    state = _state_for_download(tenant, job_id)
    if isinstance(state, HttpResponse):
        return state
    rows = (
        [
            f.name,
            f.size_text,
            f.last_modified.isoformat() if f.last_modified else f.last_modified_raw,
        ]
        for f in state.job.backup_info.files
    )
    header = ["file_name", "file_size", "file_last_modify"]
    return csv_response(f"{job_id}-files.csv", header, rows)


def _state_for_download(tenant, job_id: str) -> JobState | HttpResponse:
    """The job for a download, or a plain-text answer saying why there is none."""
    try:
        return job_state(tenant, job_id, language=drs_language())
    except (drs.JobNotFound, drs.InvalidJobId) as error:
        return HttpResponse(explain(error, tenant), content_type=TEXT, status=404)
    except NoSnapshot as failure:
        return HttpResponse(explain(failure.error, tenant), content_type=TEXT, status=503)


def _int(value: str | None) -> int:
    try:
        return max(int(value or 0), 0)
    except ValueError:
        return 0


@signed_in
@require_GET
def lookup(request: HttpRequest) -> HttpResponse:
    """Find the job id in what was pasted and go to its page: in the chosen tenant, else in
    whichever visible tenant has it (the mirror first, then each tenant's DRS)."""
    slug = request.GET.get("tenant", "").strip()
    text = request.GET.get("q", "")
    if slug:  # the picker's text: a slug, or a part of one tenant's name or slug
        chosen = pick_tenant(request.user, slug)
        if chosen is None:
            return redirect(f"{reverse('tenant_search')}?{urlencode({'q': slug, 'job': text})}")
        slug = chosen.slug
        if not text.strip():
            return redirect(reverse("job_list", args=[slug]))
    tenants = visible_tenants(request.user)
    job_id = drs.find_job_id(text)
    found, status, hits = [], 400, []
    if job_id and slug:
        tenant, _role = tenant_for(request.user, slug)
        return redirect(reverse("job_detail", args=[tenant.slug, job_id]))
    if job_id:
        failures: list = []
        found = find_job(tenants, job_id, failures, lambda: _allowed(request, "lookup"))
        if found is None:
            return _too_many(request, text, tenants, slug)
        if len(found) == 1:
            return redirect(reverse("job_detail", args=[found[0].tenant.slug, job_id]))
        status = 200 if found else 404
        problem = "" if found else _("None of your tenants has a job with this id.")
        if failures and not found:  # a tenant that could not be asked may well have it
            problem = " ".join(
                [problem]
                + [
                    _("Could not ask %(tenant)s: %(reason)s")
                    % {"tenant": tenant.name, "reason": explain(error, tenant)}
                    for tenant, error in failures
                ]
            )
    elif not text.strip():
        problem = _("Paste a job id, or a text or URL that contains one.")
    elif long_id := TOO_LONG_ID.search(text):
        problem = _(
            "That id is too long: %(n)d characters, and a DRS job id has 36 (8-4-4-4-12, like "
            "0667845a-6291-4e2a-95b0-190c0abjb703). Check that nothing was pasted onto its end."
        ) % {"n": len(long_id.group(0))}
    elif hits := search(tenants, text):
        problem, status = "", 200
    else:
        problem = _(
            "No job id found in that text, and no job, database, instance or bucket of your "
            "tenants matches it. A DRS job id looks like 0667845a-6291-4e2a-95b0-190c0abjb703; "
            "a part of one needs at least 8 characters."
        )
    context = {
        "selected": slug,
        "q": text,
        "problem": problem,
        "found": found,
        "job_id": job_id,
        "hits": hits if not job_id and text.strip() else [],
    }
    return render(request, "jobs/lookup.html", context, status=status)
