"""A malformed broker message is logged and dropped; the Celery worker lives (issue 18: a task
message whose body was not [args, kwargs, embed], or whose timelimit header was not a pair,
was an "unrecoverable error" and the worker exited). A real worker on REDIS_URL (skipped
without it, as the other Celery suites)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import uuid

import pytest

from tests.support import database_url, wait_for

pytestmark = [
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (make test-prod)"),
    pytest.mark.django_db(transaction=True),
]

POISON = {
    "a body that is not [args, kwargs, embed]": ({}, "just a string"),
    "a timelimit header that is not a pair": ({"timelimit": "x"}, None),
    "an undecodable body": ({}, b"\xff\xfe not json"),
    "an ETA that is not a date": ({"eta": "not-a-date"}, None),
}


def test_poison_messages_are_dropped_and_the_worker_lives(tmp_path):
    import kombu

    queue = f"test-{secrets.token_hex(4)}"
    broker = os.environ["REDIS_URL"]
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_QUEUE": queue,
        "CELERY_BROKER_URL": broker,
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "dashboard",
            "worker",
            "--pool=threads",
            "--concurrency=1",
            "-Q",
            queue,
            "-l",
            "INFO",
        ],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: "ready" in log.read_text(), 60, "the worker to start")
        with kombu.Connection(broker) as conn:
            producer = conn.Producer()
            for extra, body in POISON.values():
                headers = {
                    "lang": "py",
                    "task": "jobs.tasks.sync_tenant_task",
                    "id": str(uuid.uuid4()),
                    "retries": 0,
                    **extra,
                }
                if isinstance(body, bytes):
                    producer.publish(
                        body,
                        routing_key=queue,
                        headers=headers,
                        serializer=None,
                        content_type="application/json",
                        content_encoding="utf-8",
                    )
                else:
                    payload = body if body is not None else [[0], {}, {}]
                    producer.publish(payload, routing_key=queue, headers=headers, serializer="json")
            time.sleep(0.5)
            # and a good message after them: the worker takes it (tenant 0 does not exist)
            good = str(uuid.uuid4())
            producer.publish(
                [[0], {}, {}],
                routing_key=queue,
                serializer="json",
                headers={
                    "lang": "py",
                    "task": "jobs.tasks.sync_tenant_task",
                    "id": good,
                    "retries": 0,
                },
            )
        wait_for(lambda: f"{good}] succeeded" in log.read_text(), 30, "the good message")
        assert worker.poll() is None, log.read_text()[-2000:]
        text = log.read_text()
        assert "Unrecoverable error" not in text
        assert text.count("Dropped a malformed broker message") == 2
    finally:
        worker.terminate()
        worker.wait(timeout=20)
