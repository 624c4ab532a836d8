"""Helpers shared by the security suites: every URL of the app, and the database as text."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

from django.db import connection

from jobs.tenants import access

PLACEHOLDERS = (
    "<slug:slug>",
    "<job_id:job_id>",
    "<int:member_id>",
    "<int:channel_id>",
    "<int:rule_id>",
    "<int:token_id>",
    "<slug>",
    "<job_id>",
)
# Notification objects and API tokens: 0 (none) is enough.
OTHER_IDS = ("<int:channel_id>", "<int:rule_id>", "<int:token_id>")
SLUGS = ("<slug:slug>", "<slug>")  # the read API's routes (django-ninja) name them plainly
JOB_IDS = ("<job_id:job_id>", "<job_id>")
# People (jobs/views/people.py): no such person, and links whose token is not valid; a migration
# that does not exist.
FIXED = {
    "<int:user_id>": "0",
    "<str:token>": "not-a-token",
    "<uidb64>": "MQ",
    "<token>": "bad",
    "<str:instance>": "no-such-instance",  # a migration: (tenant, instance, database)
    "<str:database>": "no-such-database",
}


def routes() -> list[tuple[str, str]]:
    """(route pattern, URL name) for every URL the app serves."""
    return [(route, pattern.name) for route, pattern in access.all_routes()]


def fill(route: str, slug: str = "", job_id: str = "", member_id: int | str = "") -> str:
    url = "/" + route.replace("<int:member_id>", str(member_id))
    for placeholder in SLUGS:
        url = url.replace(placeholder, slug)
    for placeholder in JOB_IDS:
        url = url.replace(placeholder, job_id)
    for placeholder in OTHER_IDS:
        url = url.replace(placeholder, "0")
    for placeholder, value in FIXED.items():
        url = url.replace(placeholder, value)
    assert "<" not in url, f"unknown placeholder in {route}: extend PLACEHOLDERS"
    return url


def expand(
    route: str, slugs: Iterable[str], job_ids: Iterable[str], member_ids: dict[str, int]
) -> Iterator[str]:
    """Every URL for a route: each slug × each job id (member ids belong to their slug)."""
    slugs = list(slugs) if any(p in route for p in SLUGS) else [""]
    job_ids = list(job_ids) if any(p in route for p in JOB_IDS) else [""]
    for slug, job_id in itertools.product(slugs, job_ids):
        yield fill(route, slug, job_id, member_ids.get(slug, ""))


def _text(value: object) -> str:
    if isinstance(value, memoryview | bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    return "" if value is None else str(value)


def database_text() -> str:
    """Every row of every table as text (sorted, so equal data gives equal text on any
    backend): what someone with a copy of the database would read."""
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows.extend(f"{table}: " + " | ".join(map(_text, row)) for row in cursor.fetchall())
    return "\n".join(sorted(rows))
