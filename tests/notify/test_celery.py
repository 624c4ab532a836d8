"""A real Celery worker and beat on Redis: a job that fails in the simulator is seen by the
sync task, and the beat's `deliver_notifications` delivers exactly one signed message to a
webhook receiver on loopback (run by `make test-prod`; skipped without REDIS_URL)."""

from __future__ import annotations

import os
import time

import pytest

from jobs.mirror.models import JobEvent, MirroredJob
from jobs.notify import services
from jobs.notify.models import Delivery
from jobs.simulator import Simulator, SimulatorConfig
from tests.notify.conftest import SECRET_URL_TOKEN
from tests.support import celery_worker_and_beat, wait_for

pytestmark = [
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (make test-prod)"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def sim():
    server = Simulator(SimulatorConfig(bulk_jobs=5, live_jobs=0, seed_faults=False)).start()
    yield server
    server.stop()


def test_a_failed_job_is_delivered_once_by_the_celery_beat_and_worker(sim, receiver, tmp_path):
    from jobs.tenants.models import Tenant

    access_key, secret_key = next(iter(sim.config.access_keys.items()))
    tenant = Tenant(
        name="Celery",
        region="ap-southeast-3",
        project_id=sim.config.project_id,
        drs_endpoint=sim.url,
        iam_endpoint=sim.url,
        auth_method="aksk",
        access_key=access_key,
    )
    tenant.secret_key = secret_key
    tenant.save()
    url = f"{receiver.url}/celery?token={SECRET_URL_TOKEN}"
    channel, secret = services.add_channel(tenant, "hook", url, actor_name="test")
    receiver.secrets[f"/celery?token={SECRET_URL_TOKEN}"] = secret
    services.add_rule(tenant, "failed", channel, actor_name="test")

    with celery_worker_and_beat(
        tmp_path,
        concurrency=4,
        SYNC_RUNNING_SECONDS="1",
        SYNC_IDLE_SECONDS="2",
        SYNC_PAGE_SIZE="10",
        NOTIFY_ALLOW_PRIVATE_TARGETS="1",
        NOTIFY_TIMEOUT="3",
        DASHBOARD_BASE_URL="https://dash.example.com",
    ):
        wait_for(
            lambda: MirroredJob.objects.filter(tenant=tenant).count() >= len(sim.store),
            60,
            "the first sync",  # it records the fleet's history without events
        )
        # A job that starts now and fails: the next syncs see it (running, then failed, or
        # failed at first sight after the first sync: one event either way).
        job_id = sim.add_live_job(3, "FAILED", error_log="Msg 3201, Level 16, State 1\nboom")
        wait_for(lambda: receiver.at(f"/celery?token={SECRET_URL_TOKEN}"), 45, "the message")
        time.sleep(12)  # two more beat periods and syncs: nothing else may arrive

    assert receiver.bad_signatures == 0
    (message,) = receiver.messages
    assert message["event"] == "failed"
    assert message["job"]["id"] == job_id
    assert message["error"] == "boom"  # the first line that is not a "Msg N, Level" header
    assert message["url"] == f"https://dash.example.com/tenants/{tenant.slug}/jobs/{job_id}/"
    assert JobEvent.objects.filter(job__job_id=job_id, kind="failed").count() == 1
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("sent", 1)
    assert receiver.headers[0]["X-DRS-Delivery"] == delivery.key
