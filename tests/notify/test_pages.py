"""Watching a job from its page and one's own subscriptions, end to end: the page, the click,
the transition through the sync's mirror code, the email over real SMTP."""

from __future__ import annotations

import pytest

from jobs.notify.models import Delivery, Subscription, Watch
from jobs.tenants.models import Membership
from tests.notify.conftest import drain, seen
from tests.support import EXAMPLE_ID

JOB = "0667845a-6291-4e2a-95b0-190c0abjb7aa"  # a job the simulator runs (a finished one has
# nothing left to watch)
OTHER_JOB = "job-other-1"


@pytest.fixture
def acme(make_tenant, transactional_db, simulator):
    simulator.add_live_job(3600, "SUCCESS", id=JOB, name="nightly restore")
    return make_tenant("Acme")


@pytest.fixture
def one_time_restore(simulator):
    """A one-time full migration (is_last_backup=true) that has ended: its database is online,
    so neither the job nor its migration has anything left to say. Gone after the test."""
    done = "0667845a-6291-4e2a-95b0-190c0abjb7dd"
    simulator.add_live_job(0, "SUCCESS", id=done, name="one-time restore")
    yield done
    simulator.store.remove(done)


@pytest.fixture
def viewer(acme, django_user_model, client):
    user = django_user_model.objects.create_user("vera", "vera@example.com", "pw")
    Membership.objects.create(user=user, tenant=acme, role="viewer")
    client.force_login(user)
    return user


def transition(tenant, job_id: str, status: str, seen_again: int = 0) -> None:
    """As conftest's, at the present time: the job page has already mirrored the job from the
    simulator just now, and the mirror ignores observations older than its last one."""
    from datetime import timedelta

    from django.utils import timezone

    from jobs.mirror import record as mirror

    now = timezone.now()
    finish = now + timedelta(seconds=1)
    mirror.observe(
        tenant,
        [seen(job_id, "TRANSFERRING", finish_time=None)],
        now,
        events_since=now - timedelta(hours=1),
    )
    for n in range(seen_again + 1):  # later syncs see the same finished job again
        mirror.observe(
            tenant,
            [seen(job_id, status, finish_time=finish)],
            finish + timedelta(seconds=30 * n),
            events_since=now - timedelta(hours=1),
        )


def _job_page(client, tenant, job_id=JOB) -> str:
    response = client.get(f"/tenants/{tenant.slug}/jobs/{job_id}/")
    assert response.status_code == 200
    return response.content.decode()


def _watch(client, tenant, job_id=JOB):
    return client.post(f"/tenants/{tenant.slug}/jobs/{job_id}/watch/")


def _mail_to(smtp, address: str) -> list:
    return [m for m in smtp.messages if m["To"] == address]


def test_watch_a_job_from_its_page_and_hear_once_when_it_ends(client, acme, viewer, smtp):
    page = _job_page(client, acme)
    assert f'action="/tenants/{acme.slug}/jobs/{JOB}/watch/"' in page
    assert "Watch this job" in page and "Stop watching" not in page

    response = _watch(client, acme)
    assert response.status_code == 302 and response["Location"].endswith(f"/jobs/{JOB}/")
    page = client.get(response["Location"]).content.decode()
    assert "You will get an email when this job ends." in page
    assert "Stop watching" in page and 'aria-pressed="true"' in page
    assert Watch.objects.filter(user=viewer, tenant=acme, job_id=JOB).count() == 1
    mine = client.get("/notifications/").content.decode()
    assert JOB in mine

    transition(acme, JOB, "SUCCESS", seen_again=2)  # later syncs: no second event
    drain()
    drain()

    (message,) = _mail_to(smtp, "vera@example.com")
    assert message["Subject"].strip() == "Job succeeded: nightly restore"
    assert f"https://dash.example.com/tenants/acme/jobs/{JOB}/" in (
        message.get_body(("plain",)).get_content()
    )
    assert len(smtp.messages) == 1
    assert list(Delivery.objects.values_list("user", "source", "state")) == [
        (viewer.pk, "watch", "sent")
    ]


def test_stop_watching_means_no_email(client, acme, viewer, smtp):
    _watch(client, acme)
    response = _watch(client, acme)  # the same button, now "Stop watching"
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "You no longer watch this job." in page and "Watch this job" in page
    assert not Watch.objects.filter(user=viewer).exists()

    transition(acme, JOB, "FAILED")
    drain()
    assert smtp.messages == []
    assert not Delivery.objects.exists()


def test_a_member_cannot_watch_a_job_of_a_tenant_they_are_not_in(
    client, acme, viewer, make_tenant, smtp
):
    beta = make_tenant("Beta")
    assert _watch(client, beta).status_code == 404
    assert client.get(f"/tenants/{beta.slug}/jobs/{JOB}/").status_code == 404
    assert not Watch.objects.exists()

    transition(beta, JOB, "FAILED")  # and nothing reaches them from that tenant
    drain()
    assert smtp.messages == []


def test_a_watch_without_an_email_address_is_kept_and_says_so(client, acme, viewer, smtp):
    viewer.email = ""
    viewer.save()
    page = client.get(_watch(client, acme)["Location"]).content.decode()
    assert "add your email address under Preferences → Email address" in page
    transition(acme, JOB, "FAILED")
    drain()
    assert smtp.messages == []
    assert Delivery.objects.get().last_error == "the person has no email address"


def test_subscribe_to_failures_on_my_page_then_unsubscribe(client, acme, viewer, make_tenant, smtp):
    beta = make_tenant("Beta")  # not hers
    page = client.get("/notifications/").content.decode()
    assert "vera@example.com" in page and 'name="failures"' in page

    preferences = {"time_zone": "Asia/Shanghai", "language": "en"}  # kept on the account
    assert client.post("/accounts/preferences/", preferences).status_code == 302
    response = client.post("/notifications/", {"failures": "on", "digest_at": ""})
    assert response.status_code == 302
    sub = Subscription.objects.get(user=viewer)
    assert (sub.failures, sub.time_zone, sub.digest_at) == (True, "Asia/Shanghai", None)

    transition(acme, "job-a", "FAILED")
    transition(acme, "job-b", "SUCCESS")  # not a failure
    transition(beta, "job-c", "FAILED")  # not her tenant
    drain()
    (message,) = smtp.messages
    assert message["Subject"].strip() == "Job failed: nightly restore"
    assert "/tenants/acme/jobs/job-a/" in message.get_body(("plain",)).get_content()
    assert "CST" in message.get_body(("plain",)).get_content()  # her time zone

    client.post("/notifications/", {"digest_at": ""})  # the box unticked
    assert Subscription.objects.get(user=viewer).failures is False
    transition(acme, "job-d", "FAILED")
    drain()
    assert len(smtp.messages) == 1


def test_my_page_takes_the_account_s_zone_and_language_and_shows_only_my_watches(
    client, acme, viewer, django_user_model
):
    other = django_user_model.objects.create_user("otto", "otto@example.com", "pw")
    Membership.objects.create(user=other, tenant=acme, role="viewer")
    Watch.objects.create(user=other, tenant=acme, job_id=OTHER_JOB)
    Watch.objects.create(user=viewer, tenant=acme, job_id=JOB)

    page = client.get("/notifications/").content.decode()
    assert JOB in page and OTHER_JOB not in page
    assert 'name="time_zone"' not in page  # one place for them: Preferences

    client.post("/accounts/preferences/", {"time_zone": "Europe/Paris", "language": "zh-hans"})
    response = client.post("/notifications/", {"digest_at": "07:30"})
    assert response.status_code == 302
    sub = Subscription.objects.get(user=viewer)
    assert (str(sub.digest_at), sub.time_zone, sub.language) == (
        "07:30:00",
        "Europe/Paris",
        "zh-hans",
    )
    client.post("/accounts/preferences/", {"time_zone": "Asia/Tokyo", "language": "en"})
    sub.refresh_from_db()
    assert (sub.time_zone, sub.language) == ("Asia/Tokyo", "en")  # changed with the account


def test_a_finished_job_says_so_and_cannot_be_watched(client, acme, viewer, smtp, one_time_restore):
    done = one_time_restore
    page = _job_page(client, acme, done)
    assert 'id="watch-finished"' in page and "there is nothing left to watch" in page
    assert "Watch this job" not in page and "Email when it ends" not in page
    response = _watch(client, acme, done)  # an old form, or a crafted post
    page = client.get(response["Location"]).content.decode()
    assert "This job has already finished: there is nothing to watch." in page
    assert not Watch.objects.exists()


def test_a_finished_step_of_a_migration_still_restoring_can_be_watched(client, acme, viewer, smtp):
    waiting = EXAMPLE_ID  # the documented example: a full restore, is_last_backup=false, 2024
    page = _job_page(client, acme, waiting)
    assert 'id="watch-migration"' in page and "Watch this migration" in page
    assert "there is nothing left to watch" not in page
    page = client.get(_watch(client, acme, waiting)["Location"]).content.decode()
    assert "You will get an email when this migration&#x27;s database waits too long" in page
    assert Watch.objects.filter(user=viewer, job_id=waiting).count() == 1
