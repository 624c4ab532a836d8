"""Job actions on the web: the create form (also prefilled: recreate, next backup, cut over),
rename and describe, tags, delete one or many. Operators and above; thin views over
jobs/actions/services.py."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jobs import drs
from jobs.actions import services
from jobs.actions.forms import CreateJobForm, RenameForm, TagForm, initial_from
from jobs.actions.prefill import KINDS, RECREATE, prefill
from jobs.actions.services import Actor, Refused
from jobs.tenants.access import Role, tenant_role
from jobs.upstream.client import client_for
from jobs.upstream.messages import explain

MAX_BULK = 50


def _actor(request: HttpRequest) -> Actor:
    return Actor(request.user, request.user.get_username(), request)


def _refusal_status(error: Exception) -> int:
    if isinstance(error, Refused):
        return 403 if not error.problems else 400
    if isinstance(error, drs.ActionNotPermitted):
        return 403
    if isinstance(error, drs.Throttled | drs.UpstreamUnavailable):
        return 503
    return 502


def _disabled(request: HttpRequest, tenant) -> HttpResponse | None:
    try:
        services.check_enabled(tenant)
    except Refused as refused:
        return render(
            request, "actions/off.html", {"tenant": tenant, "message": refused.message}, status=403
        )
    return None


@tenant_role(Role.OPERATOR)
@require_http_methods(["GET", "POST"])
def job_create(request: HttpRequest, tenant) -> HttpResponse:
    if off := _disabled(request, tenant):
        return off
    context: dict = {"tenant": tenant}
    if request.method == "GET":
        initial, context["prefill"] = {}, None
        source, kind = request.GET.get("from", ""), request.GET.get("kind", RECREATE)
        if source and kind in KINDS:
            try:
                job = client_for(tenant).get_job(source)
            except drs.DrsError as error:
                context["problem"] = explain(error, tenant)
            else:
                filled = prefill(job, kind)
                context["prefill"] = filled
                initial = initial_from(filled.request)
        form = CreateJobForm(initial={**initial, "token": services.new_form_token()})
        context["form"] = form
        return render(request, "actions/create.html", context)
    form = CreateJobForm(request.POST)
    context["form"] = form
    valid = form.is_valid()
    if valid:
        context["preview"] = json.dumps(form.create_request.body(), indent=2, ensure_ascii=False)
    if request.htmx and request.POST.get("validate"):  # as-you-type: the form fragment only
        return render(request, "actions/create.html#create-form", context)
    if not valid or "preview" in request.POST:
        return render(request, "actions/create.html", context, status=200 if valid else 400)
    try:
        outcome = services.create(
            tenant, form.create_request, _actor(request), token=form.cleaned_data["token"] or None
        )
    except (Refused, drs.DrsError) as error:
        context["problem"] = error.message if isinstance(error, Refused) else explain(error, tenant)
        if isinstance(error, drs.DrsError) and error.request_id:
            context["request_id"] = error.request_id
        form = CreateJobForm(initial={**form.cleaned_data, "token": services.new_form_token()})
        context["form"] = form
        return render(request, "actions/create.html", context, status=_refusal_status(error))
    if not outcome.job_id:  # the answer was lost and no job exists: say so, offer to resend
        context["problem"] = outcome.message
        context["form"] = CreateJobForm(
            initial={**form.cleaned_data, "token": services.new_form_token()}
        )
        return render(request, "actions/create.html", context, status=503)
    (messages.success if outcome.kind == "created" else messages.info)(request, outcome.message)
    return redirect("job_detail", tenant.slug, outcome.job_id)


@tenant_role(Role.OPERATOR)
@require_http_methods(["GET", "POST"])
def job_rename(request: HttpRequest, tenant, job_id: str) -> HttpResponse:
    if off := _disabled(request, tenant):
        return off
    context: dict = {"tenant": tenant, "job_id": job_id}
    if request.method == "GET":
        initial = {}
        try:
            job = client_for(tenant).get_job(job_id)
            initial = {"name": job.name, "description": job.base_info.description}
        except drs.DrsError as error:
            context["problem"] = explain(error, tenant)
        context["form"] = RenameForm(initial=initial)
        return render(request, "actions/rename.html", context)
    form = RenameForm(request.POST)
    context["form"] = form
    if not form.is_valid():
        return render(request, "actions/rename.html", context, status=400)
    try:
        services.rename(
            tenant,
            job_id,
            _actor(request),
            name=form.cleaned_data["name"].strip(),
            description=form.cleaned_data["description"],
        )
    except (Refused, drs.DrsError) as error:
        context["problem"] = error.message if isinstance(error, Refused) else explain(error, tenant)
        return render(request, "actions/rename.html", context, status=_refusal_status(error))
    messages.success(request, _("DRS renamed the job."))
    return redirect("job_detail", tenant.slug, job_id)


@tenant_role(Role.OPERATOR)
@require_POST
def job_tags(request: HttpRequest, tenant, job_id: str) -> HttpResponse:
    if off := _disabled(request, tenant):
        return off
    form = TagForm(request.POST)
    form.is_valid()
    data = form.cleaned_data if form.is_bound else {}
    add = {}
    for line in (data.get("add") or "").splitlines():
        key, _eq, value = line.partition("=")
        if key.strip():
            add[key.strip()] = value.strip()
    keys = (data.get("remove") or "").replace(",", " ").split()
    try:
        current = {}
        if keys:
            job = client_for(tenant).get_job(job_id)
            current = {t.key: t.value for t in job.base_info.tags}
        remove = {k: current.get(k, "") for k in keys}
        services.change_tags(tenant, job_id, _actor(request), add=add, remove=remove)
    except (Refused, drs.DrsError) as error:
        message = error.message if isinstance(error, Refused) else explain(error, tenant)
        return render(
            request,
            "actions/problem.html",
            {"tenant": tenant, "job_id": job_id, "problem": message},
            status=_refusal_status(error),
        )
    messages.success(request, _("DRS changed the job's tags."))
    return redirect("job_detail", tenant.slug, job_id)


@tenant_role(Role.OPERATOR)
@require_http_methods(["GET", "POST"])
def job_delete(request: HttpRequest, tenant, job_id: str) -> HttpResponse:
    return _delete(request, tenant, [job_id])


@tenant_role(Role.OPERATOR)
@require_POST
def jobs_delete(request: HttpRequest, tenant) -> HttpResponse:
    """From a list selection: the confirmation first, then (with `confirm`) the deletes."""
    return _delete(request, tenant, request.POST.getlist("job_id")[:MAX_BULK])


def _delete(request: HttpRequest, tenant, job_ids: list[str]) -> HttpResponse:
    if off := _disabled(request, tenant):
        return off
    context: dict = {"tenant": tenant, "job_ids": job_ids}
    ids = [i for i in job_ids if drs.models.JOB_ID.fullmatch(i or "")]
    if not ids:
        context["problem"] = _("Select at least one job to delete.")
        return render(request, "actions/delete.html", context, status=400)
    try:
        if request.method == "GET" or request.POST.get("confirm") != "yes":
            context["selection"] = services.select_for_delete(tenant, ids)
            return render(request, "actions/delete.html", context)
        outcomes = services.delete(tenant, ids, _actor(request))
    except (Refused, drs.DrsError) as error:
        context["problem"] = error.message if isinstance(error, Refused) else explain(error, tenant)
        return render(request, "actions/delete.html", context, status=_refusal_status(error))
    context["outcomes"] = outcomes
    refused = any(not o.deleted for o in outcomes)
    return render(request, "actions/delete.html", context, status=409 if refused else 200)
