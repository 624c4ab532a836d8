"""Tenants, their members and the audit log."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jobs.tenants import audit, services
from jobs.tenants.access import (
    PICKER_MAX,
    administered_tenants,
    find_tenants,
    signed_in,
    superuser,
    tenant_role,
    visible_tenants,
)
from jobs.tenants.forms import AuditFilterForm, MemberForm, RoleForm, TenantForm
from jobs.tenants.models import AuditEvent, Membership, Role, Tenant
from jobs.upstream.client import check_connection
from jobs.upstream.messages import connection_message

Action = AuditEvent.Action
AUDIT_PAGE_SIZE = 100


@signed_in
@require_GET
def tenant_list(request: HttpRequest) -> HttpResponse:
    roles = {m.tenant_id: m.role for m in request.user.memberships.all()}
    tenants = [
        (tenant, Role.ADMIN if request.user.is_superuser else Role(roles[tenant.pk]))
        for tenant in visible_tenants(request.user)
    ]
    return render(request, "tenants/list.html", {"tenants": tenants})


@signed_in
@require_GET
def tenant_search(request: HttpRequest) -> HttpResponse:
    """The tenant picker's search: up to PICKER_MAX of the person's tenants by name or slug.
    The picker (htmx) gets its <option>s; without JavaScript, a page of links (to the tenant's
    jobs, or to the lookup of `job` in that tenant)."""
    q = (request.GET.get("q") or request.GET.get("tenant") or "").strip()[:100]
    found = find_tenants(request.user, q, PICKER_MAX + 1)
    context = {
        "q": q,
        "found": found[:PICKER_MAX],
        "more": len(found) > PICKER_MAX,
        "limit": PICKER_MAX,
        "job": request.GET.get("job", "")[:2000],
    }
    template = "jobs/tenant_search.html#options" if request.htmx else "jobs/tenant_search.html"
    return render(request, template, context)


@superuser
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("password", "secret_key")
def tenant_create(request: HttpRequest) -> HttpResponse:
    form = TenantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        tenant = services.tenant_create(form=form, request=request)
        messages.success(request, _("Tenant %(name)s created.") % {"name": tenant.name})
        return redirect("tenant_detail", slug=tenant.slug)
    return render(
        request, "tenants/form.html", {"form": form, "tenant": None}, status=_status(form)
    )


@tenant_role(Role.VIEWER)
@require_GET
def tenant_detail(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    return render(request, "tenants/detail.html", {"tenant": tenant, "role": request.role})


@tenant_role(Role.ADMIN)
@require_POST
def tenant_actions(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """Turn the tenant's job actions on (`enabled=on`) or off."""
    enabled = request.POST.get("enabled") == "on"
    if services.set_actions(tenant=tenant, enabled=enabled, request=request):
        if enabled:
            messages.success(request, _("Job actions are on for this tenant."))
        else:
            messages.success(request, _("Job actions are off for this tenant."))
    return redirect("tenant_detail", tenant.slug)


@tenant_role(Role.ADMIN)
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("password", "secret_key")
def tenant_edit(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = TenantForm(request.POST or None, instance=tenant)
    if request.method == "POST" and form.is_valid():
        tenant = services.tenant_update(form=form, request=request)
        messages.success(request, _("Tenant %(name)s saved.") % {"name": tenant.name})
        return redirect("tenant_detail", slug=tenant.slug)
    return render(
        request, "tenants/form.html", {"form": form, "tenant": tenant}, status=_status(form)
    )


def _status(form) -> int:
    """Every form that comes back with errors answers 400."""
    return 400 if form.is_bound and form.errors else 200


@tenant_role(Role.ADMIN)
@require_POST
@sensitive_post_parameters("password", "secret_key")
def tenant_test_connection(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    return _connection_result(request, TenantForm(request.POST, instance=tenant), tenant)


@superuser
@require_POST
@sensitive_post_parameters("password", "secret_key")
def tenant_test_connection_new(request: HttpRequest) -> HttpResponse:
    return _connection_result(request, TenantForm(request.POST), None)


def _connection_result(request, form: TenantForm, tenant: Tenant | None) -> HttpResponse:
    """Tests what the form holds now, without saving it; empty secrets mean the stored ones."""
    if form.is_valid():
        candidate = form.save(commit=False)
        outcome = check_connection(candidate)
        ok, message = outcome.ok, connection_message(outcome, candidate)
        audit.record(
            Action.CONNECTION_TESTED,
            request=request,
            tenant=tenant,
            ok=ok,
            drs_endpoint=candidate.drs_endpoint or "(region default)",
            iam_endpoint=candidate.iam_endpoint or "(region default)",
        )
    else:
        ok, message = False, _("Fix the highlighted fields first.")
    return render(
        request, "tenants/form.html#connection-result", {"result": {"ok": ok, "message": message}}
    )


@superuser
@require_POST
def tenant_delete(request: HttpRequest, slug: str) -> HttpResponse:
    tenant = get_object_or_404(Tenant, slug=slug)
    services.tenant_delete(tenant=tenant, request=request)
    messages.success(request, _("Tenant %(name)s deleted.") % {"name": tenant.name})
    return redirect("tenant_list")


@tenant_role(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def tenant_members(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = MemberForm(request.POST or None, tenant=tenant)
    if request.method == "POST" and form.is_valid():
        services.membership_grant(
            tenant=tenant,
            user=form.cleaned_data["username"],
            role=form.cleaned_data["role"],
            request=request,
        )
        return redirect("tenant_members", slug=tenant.slug)
    members = tenant.memberships.select_related("user")
    return render(
        request,
        "tenants/members.html",
        {"tenant": tenant, "members": members, "form": form, "roles": Role.choices},
        status=_status(form),
    )


@tenant_role(Role.ADMIN)
@require_POST
def tenant_member(request: HttpRequest, tenant: Tenant, member_id: int) -> HttpResponse:
    membership = get_object_or_404(Membership, pk=member_id, tenant=tenant)
    if membership.user_id == request.user.pk and not request.user.is_superuser:
        messages.error(request, _("You cannot change your own membership."))
        return redirect("tenant_members", slug=tenant.slug)
    if "remove" in request.POST:
        services.membership_remove(membership=membership, request=request)
        return redirect("tenant_members", slug=tenant.slug)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
        return redirect("tenant_members", slug=tenant.slug)
    services.membership_role_change(
        membership=membership, role=form.cleaned_data["role"], request=request
    )
    return redirect("tenant_members", slug=tenant.slug)


@signed_in
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """Superusers see every event; tenant admins see their tenants' events."""
    tenants = administered_tenants(request.user)
    if request.user.is_superuser:
        events = AuditEvent.objects.all()
    else:
        if not tenants.exists():
            raise Http404
        events = AuditEvent.objects.filter(tenant__in=tenants)
    form = AuditFilterForm(request.GET or None, tenants=tenants)
    if form.is_valid():
        events = _filter_events(events, form.cleaned_data)
    page = Paginator(events.select_related("tenant"), AUDIT_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "audit/log.html", {"form": form, "page": page, "query": query.urlencode()}
    )


def _filter_events(events, data: dict):
    if data.get("tenant"):
        events = events.filter(tenant=data["tenant"])
    if data.get("actor"):
        events = events.filter(Q(actor_name__icontains=data["actor"]))
    if data.get("action"):
        events = events.filter(action=data["action"])
    if data.get("since"):
        events = events.filter(at__date__gte=data["since"])
    if data.get("until"):
        events = events.filter(at__date__lte=data["until"])
    return events
