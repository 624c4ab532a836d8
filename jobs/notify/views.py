"""Notification pages: a tenant's channels and rules and its delivery log (admins), watching a
job (any member), and one's own email subscriptions (anyone signed in)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jobs.accounts.models import UserPreference
from jobs.drs import is_terminal
from jobs.mirror.models import JobSnapshot, MirroredJob
from jobs.notify import services
from jobs.notify.forms import ChannelForm, RuleForm, SubscriptionForm
from jobs.notify.models import (
    ENGLISH,
    LANGUAGES,
    Channel,
    Delivery,
    Rule,
    Subscription,
    Watch,
    open_migration,
)
from jobs.notify.targets import TargetRefused
from jobs.notify.worker import send_test
from jobs.tenants.access import administered_tenants, signed_in, tenant_role
from jobs.tenants.models import Role, Tenant

LOG_PAGE_SIZE = 100


def _settings_page(
    request, tenant, *, channel_form=None, rule_form=None, new_secret="", status=200
) -> HttpResponse:
    context = {
        "tenant": tenant,
        "channels": Channel.objects.filter(tenant=tenant),
        "rules": Rule.objects.filter(tenant=tenant).select_related("channel"),
        "channel_form": channel_form or ChannelForm(tenant=tenant),
        "rule_form": rule_form or RuleForm(tenant=tenant),
        "new_secret": new_secret,
    }
    return render(request, "notify/settings.html", context, status=status)


@tenant_role(Role.ADMIN)
@require_GET
def notify_settings(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    return _settings_page(request, tenant)


@tenant_role(Role.ADMIN)
@require_POST
@sensitive_post_parameters("url")
def channel_create(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = ChannelForm(request.POST, tenant=tenant)
    if not form.is_valid():
        return _settings_page(request, tenant, channel_form=form, status=400)
    data = form.cleaned_data
    try:
        channel, secret = services.add_channel(
            tenant, data["name"], data["url"], data["language"], request=request
        )
    except (TargetRefused, services.Refused) as exc:
        form.add_error("url", str(exc))
        return _settings_page(request, tenant, channel_form=form, status=400)
    messages.success(request, _("Channel %(name)s added.") % {"name": channel.name})
    if secret:  # shown on this response only: never stored in plain text, never shown again
        return _settings_page(request, tenant, new_secret=secret)
    return redirect("notify_settings", slug=tenant.slug)


@tenant_role(Role.ADMIN)
@require_POST
def channel_delete(request: HttpRequest, tenant: Tenant, channel_id: int) -> HttpResponse:
    channel = get_object_or_404(Channel, tenant=tenant, pk=channel_id)
    services.remove_channel(channel, request=request)
    messages.success(request, _("Channel %(name)s removed.") % {"name": channel.name})
    return redirect("notify_settings", slug=tenant.slug)


@tenant_role(Role.ADMIN)
@require_POST
def channel_test(request: HttpRequest, tenant: Tenant, channel_id: int) -> HttpResponse:
    channel = get_object_or_404(Channel, tenant=tenant, pk=channel_id)
    delivery = send_test(channel)
    services.record_test(channel, delivery.state, request=request)
    if delivery.state == Delivery.State.SENT:
        messages.success(request, _("Test message sent to %(name)s.") % {"name": channel.name})
    else:
        messages.error(
            request,
            _("The test message to %(name)s failed: %(error)s")
            % {"name": channel.name, "error": delivery.last_error},
        )
    return redirect("notify_settings", slug=tenant.slug)


@tenant_role(Role.ADMIN)
@require_POST
def rule_create(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = RuleForm(request.POST, tenant=tenant)
    if not form.is_valid():
        return _settings_page(request, tenant, rule_form=form, status=400)
    data = form.cleaned_data
    services.add_rule(
        tenant, data["event"], data["channel"], data["after_minutes"] or 30, request=request
    )
    messages.success(request, _("Rule added."))
    return redirect("notify_settings", slug=tenant.slug)


@tenant_role(Role.ADMIN)
@require_POST
def rule_delete(request: HttpRequest, tenant: Tenant, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(Rule.objects.select_related("channel"), tenant=tenant, pk=rule_id)
    services.remove_rule(rule, request=request)
    messages.success(request, _("Rule removed."))
    return redirect("notify_settings", slug=tenant.slug)


@tenant_role(Role.ADMIN)
@require_GET
def delivery_log(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    deliveries = Delivery.objects.filter(tenant=tenant).select_related(
        "channel", "event__job", "user"
    )
    state = request.GET.get("state", "")
    if state in Delivery.State.values:
        deliveries = deliveries.filter(state=state)
    page = Paginator(deliveries, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notify/deliveries.html",
        {"tenant": tenant, "page": page, "state": state, "states": Delivery.State.choices},
    )


@tenant_role(Role.VIEWER)
@require_POST
def watch_job(request: HttpRequest, tenant: Tenant, job_id: str) -> HttpResponse:
    watch = Watch.objects.filter(user=request.user, tenant=tenant, job_id=job_id).first()
    if watch is not None:
        watch.delete()
        messages.success(request, _("You no longer watch this job."))
        return redirect("job_detail", slug=tenant.slug, job_id=job_id)
    # A finished step of a migration not yet online is watched for the migration's events.
    finished = _finished(tenant, job_id)
    migration = finished and open_migration(tenant, job_id)
    if finished and not migration:
        messages.info(request, _("This job has already finished: there is nothing to watch."))
        return redirect("job_detail", slug=tenant.slug, job_id=job_id)
    Watch.objects.get_or_create(user=request.user, tenant=tenant, job_id=job_id)
    if not request.user.email:
        messages.warning(
            request,
            _(
                "Watching: add your email address under Preferences → Email address to hear "
                "when it ends."
            ),
        )
    elif migration:
        messages.success(
            request,
            _(
                "You will get an email when this migration's database waits too long for its "
                "next backup, comes online, or is blocked by a failed step."
            ),
        )
    else:
        messages.success(request, _("You will get an email when this job ends."))
    return redirect("job_detail", slug=tenant.slug, job_id=job_id)


def account_zone_and_language(request) -> tuple[str, str]:
    """The account's time zone (else the one in force, e.g. the browser's) and language (else
    the page's), for the emails of a subscription."""
    preference = UserPreference.objects.filter(user=request.user).first()
    zone = (preference and preference.time_zone) or timezone.get_current_timezone_name()
    language = (preference and preference.language) or translation.get_language() or "en"
    return zone or "UTC", language if language in dict(LANGUAGES) else ENGLISH


def _finished(tenant: Tenant, job_id: str) -> bool:
    """Whether the job had ended when we last saw it (the mirror, else the job page's snapshot)."""
    row = MirroredJob.objects.filter(tenant=tenant, job_id=job_id).first()
    if row is not None:
        return row.is_finished
    status = (
        JobSnapshot.objects.filter(tenant=tenant, job_id=job_id)
        .values_list("status", flat=True)
        .first()
    )
    return bool(status) and is_terminal(status)


@signed_in
@require_http_methods(["GET", "POST"])
def my_notifications(request: HttpRequest) -> HttpResponse:
    subscription = Subscription.objects.filter(user=request.user).first() or Subscription(
        user=request.user
    )
    form = SubscriptionForm(request.POST or None, instance=subscription)
    if request.method == "POST" and form.is_valid():
        subscription = form.save(commit=False)
        subscription.time_zone, subscription.language = account_zone_and_language(request)
        subscription.save()
        messages.success(request, _("Saved."))
        return redirect("notify_mine")
    admin_of = administered_tenants(request.user)
    watches = Watch.objects.filter(user=request.user).select_related("tenant")
    context = {"form": form, "admin_of": admin_of, "watches": watches}
    return render(request, "notify/mine.html", context)
