"""Search (jobs/chains/search.py) matches names, ids, databases, instances and buckets anywhere
in the text: Django's `icontains`, which PostgreSQL runs as `UPPER(column::text) LIKE
UPPER('%text%')`. Trigram indexes over exactly that expression let PostgreSQL answer from the
index instead of reading every mirror row. Where pg_trgm cannot be created (a role without the
privilege), the migration says so and search still works, by scanning. SQLite has none: the
embedded default serves small fleets."""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)

COLUMNS = {
    "jobs_mirroredjob": ("name", "job_id"),
    "jobs_chain": ("database", "target_instance_id", "instance_name", "bucket"),
}


def _names():
    for table, columns in COLUMNS.items():
        for column in columns:
            yield table, column, f"{table}_{column}_trgm"


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        try:
            with transaction.atomic(using=connection.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError as error:
            logger.warning("pg_trgm is not available (%s): search scans instead", error)
            return
        for table, column, index in _names():
            cursor.execute(
                f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" '
                f'USING gin (UPPER("{column}"::text) gin_trgm_ops)'
            )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for _table, _column, index in _names():
            cursor.execute(f'DROP INDEX IF EXISTS "{index}"')


class Migration(migrations.Migration):
    dependencies = [("jobs", "0013_chains")]

    operations = [migrations.RunPython(create, drop)]
