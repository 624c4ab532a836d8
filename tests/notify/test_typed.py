"""Notifications are typed: one list of job events, one of languages, every delivery's kind and
source one of its choices; the values people type and the database holds stay as they were."""

from __future__ import annotations

from django.conf import settings

from jobs.management.commands.notify import EVENTS
from jobs.mirror.models import JobEvent, TenantSyncState
from jobs.notify import services
from jobs.notify.forms import ChannelForm, RuleForm
from jobs.notify.models import JOB_EVENTS, Delivery, Event, Subscription, Watch
from jobs.notify.outbox import enqueue_digests, enqueue_sync_failing
from jobs.notify.worker import send_test
from jobs.tenants.models import Tenant
from tests.notify.conftest import T0, drain, transition


def test_a_rule_routes_the_job_events_by_their_own_values_and_labels():
    assert Event.values == ["failed", "precheck_failed", "succeeded", "stalled", "sync_failing"]
    for event in JOB_EVENTS:
        assert JobEvent.Kind(event.value).label == event.label
    assert Event.SYNC_FAILING not in JOB_EVENTS
    assert {JobEvent.Kind.DELETED, JobEvent.Kind.RENAMED}.isdisjoint(Event.values)


def test_the_cli_takes_the_same_event_names_as_before():
    assert sorted(EVENTS) == [
        "failed",
        "precheck-failed",
        "stalled",
        "succeeded",
        "sync-failing",
    ]
    assert EVENTS["precheck-failed"] == Event.PRECHECK_FAILED


def test_a_message_speaks_the_languages_the_interface_speaks():
    assert Tenant.Language.interface_choices() == list(settings.LANGUAGES)
    assert [c for c, _ in ChannelForm.base_fields["language"].choices] == ["en", "zh-hans"]
    assert Tenant.Language.ZH.interface == "zh-hans"
    assert Subscription._meta.get_field("language").default == "en"
    assert RuleForm.base_fields["event"].choices == Event.choices


def test_every_delivery_is_one_of_its_kinds_and_sources(ntenant, webhook, smtp, people_in):
    channel = webhook()
    services.add_rule(ntenant, "failed", channel, actor_name="t")
    services.add_rule(ntenant, "sync_failing", channel, 5, actor_name="t")
    watcher, subscriber = people_in(ntenant, "watcher", "subscriber")
    Watch.objects.create(user=watcher, tenant=ntenant, job_id="job-1")
    Subscription.objects.create(user=subscriber, failures=True, digest_at=T0.time())
    TenantSyncState.objects.create(tenant=ntenant, failing_since=T0)

    transition(ntenant, "job-1", "FAILED")
    enqueue_sync_failing(T0.replace(minute=10))
    enqueue_digests(T0.replace(minute=1))
    send_test(channel)
    drain()

    rows = set(Delivery.objects.values_list("kind", "source"))
    assert rows == {
        ("failed", "rule"),
        ("failed", "watch"),
        ("failed", "failures"),
        ("sync_failing", "rule"),
        ("digest", "digest"),
        ("test", "test"),
    }
    for delivery in Delivery.objects.all():
        delivery.full_clean(exclude=["next_try_at"])  # raises on a kind or source off the list
    assert Delivery.objects.exclude(state="sent").count() == 0
