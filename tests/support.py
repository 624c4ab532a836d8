"""What many test modules share: the documented example's id, htmx headers, finding seeded jobs,
a loopback HTTP server for one test, threads started together."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EXAMPLE_ID = "0667845a-6291-4e2a-95b0-190c0abjb703"  # the documented example job (SUCCESS)
MISSING_ID = "0667845a-6291-4e2a-95b0-000000000000"  # a well-formed id no simulator knows
LIVE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "job-live"}  # the job page's poll
TABLE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "job-table"}  # the job list's poll


def job_id_named(simulator, name: str) -> str:
    """The id of the seeded job called `name` in the simulator's default project."""
    for job_id in simulator.store.ids():
        if simulator.store.get(job_id)["base_info"].get("name") == name:
            return job_id
    raise LookupError(name)


def text_of(html: str) -> str:
    """The page as a reader sees it: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def database_url() -> str:
    """The test database as a DATABASE_URL, for processes the test starts (Celery workers)."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def wait_for(condition, seconds: float, what: str):
    """The first true value of `condition()`, polled for up to `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.contextmanager
def celery_worker_and_beat(tmp_path, concurrency: int, **settings: str):
    """A real Celery worker and beat on REDIS_URL over the test database, on a queue of their
    own, with `settings` in their environment; stopped on exit."""
    queue = f"test-{secrets.token_hex(4)}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_QUEUE": queue,
        "CELERY_BROKER_URL": os.environ["REDIS_URL"],
        **settings,
    }
    celery = [sys.executable, "-m", "celery", "-A", "dashboard"]
    quiet = {"env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    processes = [
        subprocess.Popen(
            [*celery, "worker", "--pool=threads", f"--concurrency={concurrency}", "-Q", queue],
            **quiet,
        ),
        subprocess.Popen([*celery, "beat", "--schedule", str(tmp_path / "beat")], **quiet),
    ]
    try:
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True  # a handler still sleeping never holds up the end of a test
    request_queue_size = 64  # room for a burst of parallel clients (the bench's receiver)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[LoopbackServer]:
    """`handler` answering on a free loopback port (`server.url`) in a thread of its own, for
    the length of the block; shut down and closed at the end."""
    server = LoopbackServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def run_in_threads(calls: Sequence[Callable[[], object]], timeout: float | None = None) -> None:
    """Each of `calls` in a thread of its own, all started before any is waited for; returns when
    all have ended (or each has had `timeout` seconds)."""
    threads = [threading.Thread(target=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
