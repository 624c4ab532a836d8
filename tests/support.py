"""What many test modules share: the documented example's id, htmx headers, finding seeded jobs."""

from __future__ import annotations

import re
import time
from html import unescape

EXAMPLE_ID = "0667845a-6291-4e2a-95b0-190c0abjb703"  # the documented example job (SUCCESS)
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
