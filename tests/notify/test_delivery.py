"""From a FAILED transition to messages received over real HTTP and SMTP, exactly once."""

from __future__ import annotations

import time
from datetime import timedelta

from django.utils import timezone

from jobs.mirror.models import JobEvent
from jobs.notify import services
from jobs.notify.models import Delivery, Subscription, Watch
from jobs.notify.worker import claim_due, deliver, deliver_due
from tests.notify.conftest import drain, transition

ERROR_LOG = "Msg 3201, Level 16, State 1\nCannot open backup device 'D:\\x.bak'. Operating system error 2.\n"


def test_a_failed_transition_sends_one_message_per_rule(ntenant, webhook, receiver, smtp):
    one, two = webhook("/one"), webhook("/two")
    services.add_rule(ntenant, "failed", one, actor_name="t")
    services.add_rule(ntenant, "failed", two, actor_name="t")
    services.add_rule(ntenant, "succeeded", two, actor_name="t")  # not this event

    transition(ntenant, "job-1", "FAILED", error_log=ERROR_LOG)
    transition(ntenant, "job-1", "FAILED", error_log=ERROR_LOG)  # seen again: no new event
    drain()
    drain()

    assert receiver.bad_signatures == 0
    assert len(receiver.messages) == 2
    assert {m["path"].split("?")[0] for m in receiver.messages} == {"/one", "/two"}
    message = receiver.messages[0]
    assert message["event"] == "failed" and message["job"]["name"] == "nightly restore"
    assert message["error"].startswith("Cannot open backup device")  # not the "Msg" header
    assert message["hint"] == "The backup file could not be opened: it was not found"
    assert message["url"] == "https://dash.example.com/tenants/acme/jobs/job-1/"
    assert Delivery.objects.filter(state="sent").count() == 2


def test_deliveries_are_written_with_the_event(ntenant, webhook):
    services.add_rule(ntenant, "failed", webhook(), actor_name="t")
    transition(ntenant, "job-1", "FAILED")
    event = JobEvent.objects.get(kind="failed")
    assert list(Delivery.objects.values_list("event", "state")) == [(event.pk, "pending")]


def test_watchers_and_failure_subscribers_get_one_email_each(ntenant, smtp, people_in):
    watcher, subscriber = people_in(ntenant, "watcher", "subscriber")
    Watch.objects.create(user=watcher, tenant=ntenant, job_id="job-1")
    Subscription.objects.create(user=subscriber, failures=True, language="zh-hans")
    Subscription.objects.create(user=watcher, failures=True)  # watching too: still one email

    transition(ntenant, "job-1", "FAILED", error_log=ERROR_LOG)
    drain()

    to = sorted(m["To"] for m in smtp.messages)
    assert to == ["subscriber@example.com", "watcher@example.com"]
    for message in smtp.messages:
        assert message.get_body(("html",)) is not None
        assert (
            "https://dash.example.com/tenants/acme/jobs/job-1/"
            in message.get_body(("plain",)).get_content()
        )


def test_a_watch_hears_when_the_job_succeeds(ntenant, smtp, people_in):
    (watcher,) = people_in(ntenant, "watcher")
    Watch.objects.create(user=watcher, tenant=ntenant, job_id="job-1")
    transition(ntenant, "job-1", "SUCCESS")
    drain()
    assert [m["To"] for m in smtp.messages] == ["watcher@example.com"]
    assert "nightly restore" in smtp.messages[0]["Subject"]


def test_a_failing_receiver_is_retried_and_does_not_hold_up_others(ntenant, webhook, receiver):
    bad, hanging, good = webhook("/bad"), webhook("/hang"), webhook("/good")
    for channel in (bad, hanging, good):
        services.add_rule(ntenant, "failed", channel, actor_name="t")
    receiver.mode = {f"/bad?token={t}": "fail" for t in [bad.url.split("token=")[1]]}
    receiver.mode[f"/hang?token={hanging.url.split('token=')[1]}"] = "hang"

    transition(ntenant, "job-1", "FAILED")
    started = time.monotonic()
    deliver_due(threads=4)
    first_round = time.monotonic() - started

    assert [m["path"].split("?")[0] for m in receiver.messages] == ["/good"]
    assert first_round < 2.5  # the hang cost its own thread one NOTIFY_TIMEOUT, not the others'
    states = dict(Delivery.objects.values_list("channel__name", "state"))
    assert states == {"/bad": "retrying", "/hang": "retrying", "/good": "sent"}
    hang_row = Delivery.objects.get(channel=hanging)
    assert "timed out" in hang_row.last_error

    receiver.mode = {}  # both recover
    drain()
    assert sorted(m["path"].split("?")[0] for m in receiver.messages) == ["/bad", "/good", "/hang"]
    assert Delivery.objects.get(channel=bad).attempts == 2


def test_retries_end_in_failed_with_the_reason(ntenant, webhook, receiver, settings):
    channel = webhook("/bad")
    services.add_rule(ntenant, "failed", channel, actor_name="t")
    receiver.mode = {f"/bad?{channel.url.split('?')[1]}": "fail"}
    transition(ntenant, "job-1", "FAILED")
    drain(rounds=60)
    row = Delivery.objects.get()
    assert (row.state, row.attempts, row.last_error) == ("failed", 4, "HTTP 500")


def test_a_redirect_is_not_followed(ntenant, webhook, receiver):
    channel = webhook("/moved")
    receiver.mode = {f"/moved?{channel.url.split('?')[1]}": "redirect"}
    services.add_rule(ntenant, "failed", channel, actor_name="t")
    transition(ntenant, "job-1", "FAILED")
    drain()
    row = Delivery.objects.get()
    assert row.state == "failed" and "redirect" in row.last_error


def test_a_worker_that_dies_after_claiming_loses_nothing_and_doubles_nothing(
    ntenant, webhook, receiver
):
    services.add_rule(ntenant, "failed", webhook(), actor_name="t")
    transition(ntenant, "job-1", "FAILED")
    abandoned = claim_due(10)  # a worker claims, then is killed before sending
    assert len(abandoned) == 1

    assert deliver_due() == 0  # the lease holds: nobody else sends it meanwhile
    later = timezone.now() + timedelta(minutes=5)
    retaken = claim_due(10, now=later)  # the lease has passed
    assert len(retaken) == 1 and retaken[0][1] != abandoned[0][1]
    assert deliver(*retaken[0]) == "sent"
    assert deliver(*abandoned[0]) == "sent"  # the dead worker wakes up: its claim is void...
    assert len(receiver.messages) == 2  # ...but it did send: the at-least-once case
    assert receiver.headers[0]["X-DRS-Delivery"] == receiver.headers[1]["X-DRS-Delivery"]
    assert Delivery.objects.get().attempts == 2


def test_a_killed_worker_process_is_retried_once(ntenant, webhook, receiver):
    """A real process claims the delivery and is killed (SIGKILL) before it sends."""
    import os
    import signal
    import subprocess
    import sys

    from django.db import connection

    services.add_rule(ntenant, "failed", webhook(), actor_name="t")
    transition(ntenant, "job-1", "FAILED")
    if connection.vendor == "sqlite":
        database = f"sqlite:///{connection.settings_dict['NAME']}"
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import django; django.setup(); "
                "from jobs.notify.worker import claim_due; print(len(claim_due(10)), flush=True); "
                "import time; time.sleep(60)",
            ],
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "dashboard.settings",
                "DATABASE_URL": database,
            },
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout.readline().strip() == "1"
        child.send_signal(signal.SIGKILL)
        child.wait()
    else:
        claim_due(10)  # the same claim from this process, abandoned
    assert Delivery.objects.get().state == "sending"
    assert deliver_due() == 0
    later = timezone.now() + timedelta(minutes=5)
    for pk, token in claim_due(10, now=later):
        deliver(pk, token)
    assert len(receiver.messages) == 1
    assert Delivery.objects.get().state == "sent"


def test_concurrent_workers_send_each_message_once(ntenant, webhook, receiver):
    channels = [webhook(f"/w{i}") for i in range(5)]
    for channel in channels:
        services.add_rule(ntenant, "failed", channel, actor_name="t")
    for n in range(4):
        transition(ntenant, f"job-{n}", "FAILED")
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: drain(threads=2), range(4)))
    assert len(receiver.messages) == 20
    assert len({h["X-DRS-Delivery"] for h in receiver.headers}) == 20


def test_sync_failing_rule_fires_once_per_failure_period(ntenant, webhook, receiver):
    from jobs.mirror.models import TenantSyncState
    from jobs.notify.outbox import enqueue_periodic

    channel = webhook()
    services.add_rule(ntenant, "sync_failing", channel, after_minutes=10, actor_name="t")
    since = timezone.now() - timedelta(minutes=5)
    TenantSyncState.objects.create(tenant=ntenant, failing_since=since, error="DRS <b>down</b>")
    assert enqueue_periodic() == 0
    TenantSyncState.objects.filter(tenant=ntenant).update(failing_since=since - timedelta(hours=1))
    enqueue_periodic()
    enqueue_periodic()
    drain()
    assert [m["event"] for m in receiver.messages] == ["sync_failing"]
    assert receiver.messages[0]["error"] == "DRS <b>down</b>"  # JSON carries raw data
