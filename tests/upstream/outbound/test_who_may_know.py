"""Who may know (issue 18): /metrics decides from the client address as the proxy settings
read it; a removed member hears nothing more about the tenant."""

from __future__ import annotations

import pytest

from jobs.notify.models import Delivery, Watch
from jobs.notify.worker import deliver_due
from jobs.tenants.models import Membership

from .conftest import transition

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "proxies, remote, forwarded, status",
    [
        (1, "127.0.0.1", "203.0.113.9", 404),  # the finding: public behind a proxy
        (1, "127.0.0.1", "127.0.0.1, 203.0.113.9", 404),  # a claimed entry is never used
        (0, "203.0.113.9", "127.0.0.1", 404),  # no proxies: the header means nothing
        (1, "203.0.113.9", "127.0.0.1", 404),  # came straight from elsewhere, claims loopback
        (1, "127.0.0.1", "127.0.0.1", 200),  # a scraper on this host, through the proxy
        (0, "127.0.0.1", "", 200),  # a scraper on this host, no proxy
        (2, "127.0.0.1", "198.51.100.1, ::1", 404),
    ],
)
def test_metrics_without_a_token_reads_the_client_as_the_proxies_do(
    client, settings, proxies, remote, forwarded, status
):
    settings.METRICS_TOKEN = ""
    settings.DASHBOARD_TRUSTED_PROXIES = proxies
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    response = client.get("/metrics", REMOTE_ADDR=remote, **headers)
    assert response.status_code == status


def test_metrics_with_a_token_needs_the_token_from_anywhere(client, settings):
    settings.METRICS_TOKEN = "t0ken-for-metrics"
    settings.DASHBOARD_TRUSTED_PROXIES = 1
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404
    ok = client.get(
        "/metrics",
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
        HTTP_AUTHORIZATION="Bearer t0ken-for-metrics",
    )
    assert ok.status_code == 200


@pytest.fixture
def admin_and_watcher(client, ntenant, django_user_model):
    admin = django_user_model.objects.create_user("boss", "boss@example.com", "pw")
    Membership.objects.create(user=admin, tenant=ntenant, role="admin")
    watcher = django_user_model.objects.create_user("wat", "wat@example.com", "pw")
    member = Membership.objects.create(user=watcher, tenant=ntenant, role="viewer")
    return admin, watcher, member


def test_a_removed_member_receives_no_more_watch_emails(
    client, ntenant, admin_and_watcher, smtp, settings
):
    settings.NOTIFY_ALLOW_PRIVATE_TARGETS = True  # the test's SMTP server is on loopback
    admin, watcher, member = admin_and_watcher
    transition(ntenant, "job-1", "TRANSFERRING")
    Watch.objects.create(user=watcher, tenant=ntenant, job_id="job-1")
    Watch.objects.create(user=watcher, tenant=ntenant, job_id="job-2")
    transition(ntenant, "job-2", "FAILED")  # queued for the watcher, not yet sent
    assert Delivery.objects.filter(user=watcher, state="pending").count() == 1
    client.force_login(admin)
    response = client.post(f"/tenants/{ntenant.slug}/members/{member.pk}/", {"remove": "1"})
    assert response.status_code == 302
    assert not Watch.objects.filter(user=watcher).exists()
    transition(ntenant, "job-1", "SUCCESS")
    deliver_due()
    assert smtp.messages == []
    (queued,) = Delivery.objects.filter(user=watcher)
    assert queued.state == Delivery.State.FAILED
    assert "no longer a member" in queued.last_error


def test_a_delivery_queued_for_someone_removed_some_other_way_is_not_sent(
    ntenant, smtp, admin_and_watcher, settings
):
    """Removed by a bulk delete (no signal): the worker still checks membership at send time."""
    settings.NOTIFY_ALLOW_PRIVATE_TARGETS = True
    _, watcher, member = admin_and_watcher
    Watch.objects.create(user=watcher, tenant=ntenant, job_id="job-3")
    transition(ntenant, "job-3", "FAILED")
    Membership.objects.filter(pk=member.pk).delete()  # QuerySet.delete sends post_delete too
    Delivery.objects.filter(user=watcher).update(state="pending", last_error="")
    deliver_due()
    assert smtp.messages == []
    assert Delivery.objects.get(user=watcher).state == Delivery.State.FAILED
