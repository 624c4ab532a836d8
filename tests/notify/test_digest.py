"""The daily digest: when it is sent (the subscriber's local time, once a day, across restarts
and daylight-saving changes) and what it says (per tenant counts, failures with their cause,
nothing from tenants the subscriber cannot see)."""

from __future__ import annotations

import re
import threading
import zoneinfo
from collections import Counter
from datetime import UTC, datetime, time, timedelta

from django.utils import timezone

from jobs.mirror.models import MirroredJob
from jobs.notify.digest import render_digest
from jobs.notify.models import Delivery, Subscription
from jobs.notify.outbox import enqueue_digests, enqueue_periodic
from jobs.notify.worker import Notifier
from jobs.tenants.models import Tenant
from tests.notify.conftest import drain
from tests.support import run_in_threads

ERROR_LOG = "Msg 3201, Level 16, State 1\nCannot open backup device 'D:\\x.bak'. Operating system error 2.\n"


def _run_clock(start: datetime, end: datetime, every: timedelta = timedelta(minutes=5)) -> None:
    """The periodic enqueue as the notifier runs it, at each tick of a simulated clock (kept
    in UTC: arithmetic on a zoned datetime is wall-clock arithmetic, which skips or repeats
    an hour at a DST change)."""
    now, end = start.astimezone(UTC), end.astimezone(UTC)
    while now < end:
        enqueue_digests(now)
        now += every


def _digests_local(zone: str) -> list[datetime]:
    """When each digest row was written, in the subscriber's time zone."""
    tz = zoneinfo.ZoneInfo(zone)
    rows = Delivery.objects.filter(source="digest").order_by("next_try_at")
    return [timezone.localtime(row.next_try_at, tz) for row in rows]


def _subscriber(people_in, tenant, name="manager", **fields):
    (user,) = people_in(tenant, name)
    Subscription.objects.create(user=user, **fields)
    return user


# -- scheduling ----------------------------------------------------------------------------------


def test_one_digest_a_day_at_the_chosen_local_time(ntenant, people_in):
    _subscriber(people_in, ntenant, digest_at=time(8, 0), time_zone="Asia/Shanghai")
    start = datetime(2026, 3, 1, 0, 0, tzinfo=UTC) - timedelta(hours=2)  # 06:00 in Shanghai
    _run_clock(start, start + timedelta(days=3))

    sent = _digests_local("Asia/Shanghai")
    assert [(d.date().isoformat(), d.time()) for d in sent] == [
        ("2026-03-01", time(8, 0)),
        ("2026-03-02", time(8, 0)),
        ("2026-03-03", time(8, 0)),
    ]
    keys = sorted(Delivery.objects.values_list("key", flat=True))
    assert [k.rsplit(":", 1)[1] for k in keys] == ["2026-03-01", "2026-03-02", "2026-03-03"]


def test_a_time_that_does_not_exist_on_the_spring_forward_day_is_sent_once(ntenant, people_in):
    # New York, 8 March 2026: 02:00 EST jumps to 03:00 EDT, so 02:30 never happens that day.
    zone = "America/New_York"
    _subscriber(people_in, ntenant, digest_at=time(2, 30), time_zone=zone)
    start = datetime(2026, 3, 7, 0, 0, tzinfo=zoneinfo.ZoneInfo(zone))
    _run_clock(start, start + timedelta(days=3))

    sent = _digests_local(zone)
    assert [d.date().isoformat() for d in sent] == ["2026-03-07", "2026-03-08", "2026-03-09"]
    assert [d.strftime("%H:%M %Z") for d in sent] == ["02:30 EST", "03:00 EDT", "02:30 EDT"]


def test_a_time_that_happens_twice_on_the_fall_back_day_is_sent_once(ntenant, people_in):
    # New York, 1 November 2026: 01:00–02:00 happens twice (EDT, then EST).
    zone = "America/New_York"
    _subscriber(people_in, ntenant, digest_at=time(1, 30), time_zone=zone)
    start = datetime(2026, 10, 31, 0, 0, tzinfo=zoneinfo.ZoneInfo(zone))
    _run_clock(start, start + timedelta(days=3))

    sent = _digests_local(zone)
    assert Counter(d.date().isoformat() for d in sent) == {
        "2026-10-31": 1,
        "2026-11-01": 1,
        "2026-11-02": 1,
    }
    assert [d.strftime("%H:%M %Z") for d in sent] == ["01:30 EDT", "01:30 EDT", "01:30 EST"]


def test_a_changed_time_zone_does_not_send_a_second_digest_the_same_day(ntenant, people_in):
    user = _subscriber(people_in, ntenant, digest_at=time(9, 0), time_zone="Europe/Berlin")
    now = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)  # 09:00 in Berlin (CEST)
    assert enqueue_digests(now) == 1
    # Same local date in Lisbon, and 09:00 there is an hour later.
    Subscription.objects.filter(user=user).update(time_zone="Europe/Lisbon")
    assert enqueue_digests(now + timedelta(hours=1)) == 0
    assert Delivery.objects.count() == 1


def test_a_digest_missed_by_more_than_the_window_waits_for_the_next_day(ntenant, people_in):
    _subscriber(people_in, ntenant, digest_at=time(9, 0), time_zone="UTC")
    assert enqueue_digests(datetime(2026, 6, 1, 10, 30, tzinfo=UTC)) == 0  # down 09:00–10:30
    assert enqueue_digests(datetime(2026, 6, 2, 9, 0, tzinfo=UTC)) == 1


def test_concurrent_enqueuers_write_one_digest(ntenant, people_in):
    _subscriber(people_in, ntenant, digest_at=time(9, 0), time_zone="UTC")
    now = datetime(2026, 6, 1, 9, 1, tzinfo=UTC)
    barrier = threading.Barrier(4)

    def run():
        from django.db import connection

        barrier.wait()
        try:
            enqueue_digests(now)
        finally:
            connection.close()

    run_in_threads([run] * 4)
    assert Delivery.objects.filter(source="digest").count() == 1


def test_no_second_digest_after_a_restart(ntenant, smtp, people_in):
    """Real time, the sync loop's notifier: one process enqueues the digest and dies before
    sending; the next one sends it; a third (another restart) sends nothing more."""
    local_now = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo("Asia/Tokyo"))
    at = (local_now - timedelta(minutes=5)).time() if local_now.time() >= time(0, 5) else time(0)
    _subscriber(
        people_in, ntenant, digest_at=at.replace(second=0, microsecond=0), time_zone="Asia/Tokyo"
    )

    assert enqueue_periodic() == 1  # the first process, killed before its pool sent anything
    for _ in range(2):  # two restarts
        notifier = Notifier(threads=2)
        notifier.tick()
        notifier.shutdown()
    drain()

    assert len(smtp.messages) == 1
    assert smtp.messages[0]["To"] == "manager@example.com"
    assert Delivery.objects.get(source="digest").state == "sent"


# -- content -------------------------------------------------------------------------------------

NOW = datetime(2026, 6, 2, 9, 0, tzinfo=UTC)


def _job(tenant, job_id, status, finished=None, error_log="", stalled=False, deleted=False):
    return MirroredJob.objects.create(
        tenant=tenant,
        job_id=job_id,
        name=f"{job_id} restore",
        status=status,
        engine_type="sqlserver",
        error_log=error_log,
        create_time=NOW - timedelta(days=5),
        finish_time=(NOW - finished) if finished else None,
        first_seen_at=NOW,
        last_seen_at=NOW,
        synced_at=NOW,
        stalled_at=NOW if stalled else None,
        deleted_at=NOW if deleted else None,
    )


def _tenant(name):
    tenant = Tenant(
        name=name, region="ap-southeast-3", project_id="p", auth_method="aksk", access_key="AK"
    )
    tenant.secret_key = "sk"
    tenant.save()
    return tenant


def _counts(text: str, tenant_name: str) -> dict[str, int]:
    block = text.split(f"\n{tenant_name}\n", 1)[1]
    line = block.splitlines()[0]
    return {label.strip(): int(n) for label, n in re.findall(r"([A-Za-z ]+?): (\d+)", line)}


def test_the_digest_counts_each_visible_tenant_and_lists_failures_with_their_cause(
    ntenant, people_in
):
    from jobs.tenants.models import Membership

    beta, hidden = _tenant("Beta"), _tenant("Hidden Corp")
    user = _subscriber(people_in, ntenant, digest_at=time(9, 0))
    Membership.objects.create(user=user, tenant=beta, role="viewer")

    _job(ntenant, "ok-1", "SUCCESS", finished=timedelta(hours=2))
    _job(ntenant, "bad-1", "FAILED", finished=timedelta(hours=3), error_log=ERROR_LOG)
    _job(
        ntenant,
        "bad-2",
        "PRECHECK FAILED",
        finished=timedelta(hours=1),
        error_log="\n  The source and target versions do not match\nmore detail",
    )
    _job(ntenant, "run-1", "TRANSFERRING")
    _job(ntenant, "stall-1", "TRANSFERRING", stalled=True)
    _job(ntenant, "old-ok", "SUCCESS", finished=timedelta(days=2))  # before the window
    _job(ntenant, "old-bad", "FAILED", finished=timedelta(days=3), error_log=ERROR_LOG)
    _job(ntenant, "gone", "FAILED", finished=timedelta(hours=1), deleted=True)
    _job(beta, "beta-ok", "SUCCESS", finished=timedelta(hours=5))
    _job(hidden, "secret-job", "FAILED", finished=timedelta(hours=1), error_log=ERROR_LOG)
    _job(hidden, "secret-run", "TRANSFERRING", stalled=True)

    subject, text, html = render_digest(user, NOW - timedelta(days=1), "en", "UTC")

    assert subject == "Daily digest of your DRS backup migrations"
    assert _counts(text, "Acme") == {
        "Succeeded": 1,
        "Failed": 2,
        "Running": 2,
        "Running longer than usual": 1,
    }
    assert _counts(text, "Beta") == {
        "Succeeded": 1,
        "Failed": 0,
        "Running": 0,
        "Running longer than usual": 0,
    }
    failures = [line.strip() for line in text.splitlines() if line.strip().startswith("- ")]
    assert failures == [
        "- bad-2 restore (2026-06-02 08:00 UTC): The source and target versions do not match",
        "- bad-1 restore (2026-06-02 06:00 UTC): Cannot open backup device 'D:\\x.\u200bbak'. "
        "Operating system error 2. [The backup file could not be opened: it was not found]",
    ]
    assert "https://dash.example.com/tenants/acme/jobs/bad-1/" in text
    assert "https://dash.example.com/tenants/acme/jobs/bad-1/" in html
    assert "The backup file could not be opened: it was not found" in html
    for page in (text, html):
        for absent in ("Hidden Corp", "hidden-corp", "secret-job", "old-bad", "gone restore"):
            assert absent not in page


def test_a_tenant_the_user_left_drops_out_of_the_digest_sent(ntenant, smtp, people_in):
    """The digest is rendered when it is sent: membership then decides what it shows."""
    from jobs.tenants.models import Membership

    other = _tenant("Other")
    user = _subscriber(people_in, ntenant, digest_at=time(9, 0), time_zone="UTC")
    Membership.objects.create(user=user, tenant=other, role="viewer")
    _job(other, "other-bad", "FAILED", finished=timedelta(hours=1), error_log=ERROR_LOG)
    now = timezone.now().replace(hour=9, minute=1)
    assert enqueue_digests(now) == 1
    Membership.objects.filter(user=user, tenant=other).delete()
    drain()
    (message,) = smtp.messages
    assert "Other" not in message.get_body(("plain",)).get_content()
    assert "Acme" in message.get_body(("plain",)).get_content()
