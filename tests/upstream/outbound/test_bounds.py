"""Bounded everything (issue 18): numbers in range in forms, CLI and dispatcher; one tenant's
bad rule or hanging channel does not hold up another's messages; send threads end at the
deadline; upstream text is clipped in messages and on the failures page; a walk stopped at
the page cap says "incomplete"."""

from __future__ import annotations

import io
import socket
import threading
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from jobs.mirror.models import MirroredJob, TenantSyncState
from jobs.notify import services
from jobs.notify.messages import UPSTREAM_TEXT_MAX
from jobs.notify.models import AFTER_MINUTES_MAX, Delivery, Rule
from jobs.notify.tasks import deliver_notifications
from jobs.notify.transport import webhook_body
from jobs.notify.worker import deliver_due, send_test
from jobs.tenants.models import Membership, Tenant

from .conftest import SECRET_URL_TOKEN, transition

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _loopback_receivers(settings):
    settings.NOTIFY_ALLOW_PRIVATE_TARGETS = True  # the receivers here are on loopback


@pytest.fixture
def admin_client(client, ntenant, django_user_model):
    admin = django_user_model.objects.create_user("boss", "boss@example.com", "pw")
    Membership.objects.create(user=admin, tenant=ntenant, role="admin")
    client.force_login(admin)
    return client


def other_tenant(name="Globex") -> Tenant:
    tenant = Tenant(
        name=name, region="ap-southeast-3", project_id="p2", auth_method="aksk", access_key="AK2"
    )
    tenant.secret_key = "sk"
    tenant.save()
    return tenant


# -- numbers in range ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["10000000000000", str(10**30), "-5", "0", str(AFTER_MINUTES_MAX + 1), "1e3", "NaN"]
)
def test_rule_minutes_out_of_range_get_a_400_not_a_500(admin_client, ntenant, webhook, value):
    channel = webhook("/r")
    response = admin_client.post(
        f"/tenants/{ntenant.slug}/notifications/rules/",
        {"event": "sync_failing", "channel": channel.pk, "after_minutes": value},
    )
    assert response.status_code == 400
    assert not Rule.objects.exists()


def test_a_channel_port_of_twenty_digits_gets_a_400(admin_client, ntenant):
    response = admin_client.post(
        f"/tenants/{ntenant.slug}/notifications/channels/",
        {"name": "p", "url": "json://h.example:99999999999999999999/x", "language": "en"},
    )
    assert response.status_code == 400
    assert "1 to 65535" in response.content.decode()


def test_a_watched_id_over_64_characters_is_a_404(admin_client, ntenant):
    response = admin_client.post(f"/tenants/{ntenant.slug}/jobs/{'a' * 65}/watch/")
    assert response.status_code == 404


@pytest.mark.parametrize("value", ["-5", "0", str(10**30), "x", str(AFTER_MINUTES_MAX + 1)])
def test_the_cli_refuses_minutes_out_of_range_without_a_traceback(ntenant, webhook, value):
    webhook("/cli")
    with pytest.raises(CommandError, match=r"after.minutes"):
        call_command(
            "notify",
            "rule-add",
            ntenant.slug,
            "--event",
            "sync-failing",
            "--channel",
            "/cli",
            "--after-minutes",
            value,
        )
    assert not Rule.objects.exists()


def test_one_tenants_huge_rule_does_not_stop_anyone_elses_messages(ntenant, webhook, receiver):
    """A rule stored with after_minutes=10**13 (before forms checked it) made the dispatcher
    raise OverflowError every run, and every tenant's deliveries waited behind it."""
    bad = services.add_rule(ntenant, "sync_failing", webhook("/bad"), actor_name="t")
    Rule.objects.filter(pk=bad.pk).update(after_minutes=2**31 - 1)  # a 32-bit column's most
    other = other_tenant()
    good = services.add_rule(
        other, "sync_failing", webhook("/good", tenant=other), 1, actor_name="t"
    )
    failing = timezone.now() - timedelta(minutes=5)
    for tenant in (ntenant, other):
        TenantSyncState.objects.create(tenant=tenant, failing_since=failing)
    deliver_notifications()  # the Celery task: enqueue what is due, then deliver
    assert [m["event"] for m in receiver.at(f"/good?token={SECRET_URL_TOKEN}")] == ["sync_failing"]
    assert Delivery.objects.get(rule=good).state == Delivery.State.SENT
    assert not Delivery.objects.filter(rule=bad).exists()  # 30 days have not passed


def test_a_hanging_channel_of_one_tenant_does_not_delay_another(
    ntenant, webhook, receiver, settings
):
    """Tenant A has thirty messages due to a receiver that hangs; tenant B's one message goes
    out in the first round, not after A's thirty time-outs."""
    settings.NOTIFY_TIMEOUT = 1.0
    hanging = webhook("/hang")
    receiver.mode[f"/hang?token={SECRET_URL_TOKEN}"] = "hang"
    rule = services.add_rule(ntenant, "failed", hanging, actor_name="t")
    for i in range(30):
        transition(ntenant, f"job-a{i}", "FAILED")
    other = other_tenant()
    services.add_rule(other, "failed", webhook("/b", tenant=other), actor_name="t")
    time.sleep(0.01)
    transition(other, "job-b", "FAILED")  # due last of all
    assert Delivery.objects.filter(rule=rule).count() == 30
    started = time.monotonic()
    deliver_due(limit=4, threads=4)
    assert [m["job"]["id"] for m in receiver.at(f"/b?token={SECRET_URL_TOKEN}")] == ["job-b"]
    assert time.monotonic() - started < 3 * settings.NOTIFY_TIMEOUT


# -- send threads end at the deadline ---------------------------------------------------------


def test_send_threads_end_at_the_deadline(ntenant, settings):
    """Five test sends to a receiver that trickles one byte every 0.2 s: the sending threads
    used to live on for as long as it trickled (90 s); now they end at NOTIFY_TIMEOUT."""
    settings.NOTIFY_TIMEOUT = 1.0
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    stop = threading.Event()

    def trickle(conn):
        conn.recv(65536)
        while not stop.is_set():
            try:
                conn.sendall(b"H")
            except OSError:
                return
            time.sleep(0.2)

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=trickle, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    channel, _ = services.add_channel(
        ntenant, "slow", f"json://127.0.0.1:{server.getsockname()[1]}/t", actor_name="t"
    )
    try:
        started = time.monotonic()
        states = [send_test(channel).state for _ in range(5)]
        assert states == [Delivery.State.FAILED] * 5
        assert time.monotonic() - started < 5 * (settings.NOTIFY_TIMEOUT + 0.8)
        time.sleep(0.5)
        alive = [t for t in threading.enumerate() if t.name == "notify-send"]
        assert alive == []
    finally:
        stop.set()
        server.close()


# -- upstream text is clipped ------------------------------------------------------------------

LONG_LINE = "Msg 3201: " + "x" * 3_000_009


def test_a_three_megabyte_error_line_is_clipped_in_messages(ntenant, webhook, receiver):
    services.add_rule(ntenant, "failed", webhook("/big"), actor_name="t")
    transition(ntenant, "job-big", "FAILED", error_log=LONG_LINE, name="n" * 100_000)
    deliver_due()
    (message,) = receiver.at(f"/big?token={SECRET_URL_TOKEN}")
    assert len(message["error"]) == UPSTREAM_TEXT_MAX
    assert len(message["job"]["name"]) <= UPSTREAM_TEXT_MAX  # the mirror keeps 255
    delivery = Delivery.objects.get()
    from jobs.notify.worker import notice_for

    assert len(webhook_body(notice_for(delivery, "en"), delivery.key)) < 4 * 1024


def test_the_failures_page_shows_an_excerpt_of_a_huge_error_log(client, ntenant, django_user_model):
    from jobs.fleet.selectors import EXCERPT_MAX

    user = django_user_model.objects.create_user("v", "v@example.com", "pw")
    Membership.objects.create(user=user, tenant=ntenant, role="viewer")
    client.force_login(user)
    transition(ntenant, "job-big", "FAILED", error_log=LONG_LINE)
    assert MirroredJob.objects.get(job_id="job-big").error_log == LONG_LINE
    response = client.get("/failures/?days=0")
    assert response.status_code == 200
    assert len(response.content) < 200 * 1024  # was 3.1 MB
    assert "x" * (EXCERPT_MAX - 20) in response.content.decode()


# -- a capped walk is incomplete ----------------------------------------------------------------


def test_a_walk_stopped_at_the_page_cap_says_incomplete(make_tenant, settings, simulator):
    from jobs.sync.tenant import sync_tenant

    settings.DRS_ALLOW_CUSTOM_ENDPOINTS = True  # the simulator, on loopback, on purpose
    settings.SYNC_PAGE_SIZE = 10
    settings.SYNC_MAX_PAGES = 2
    tenant = make_tenant(auth="aksk")
    result = sync_tenant(tenant, full=True)
    assert (result.ok, result.incomplete, result.error) == (False, True, "")
    assert "Incomplete" in result.note
    assert MirroredJob.objects.filter(tenant=tenant).count() == 20 < len(simulator.store)
    state = TenantSyncState.objects.get(tenant=tenant)
    assert state.last_success_at is None and "Incomplete" in state.last_note
    out = io.StringIO()
    call_command("sync", tenant.slug, "--full", stdout=out)
    assert out.getvalue().startswith(f"{tenant.slug}: incomplete")
