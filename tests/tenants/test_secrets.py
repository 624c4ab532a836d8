"""Secrets are encrypted at rest, write-only in forms, and never rendered, logged or repr'd."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from jobs.tenants import crypto
from jobs.tenants.models import AuditEvent, Tenant
from tests.support import EXAMPLE_ID

pytestmark = pytest.mark.django_db

PASSWORD = "Zq7-unique-password-8841"
SECRET_KEY = "SKunique0000secret1111key2222value333344"


def database_text() -> str:
    """Every row of every table, as text: what someone with the database file would read."""
    with connection.cursor() as cursor:
        chunks = []
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


@pytest.fixture
def tenants(make_tenant):
    return (
        make_tenant("Pw", password=PASSWORD),
        make_tenant("Keys", auth="aksk", secret_key=SECRET_KEY),
    )


def test_no_plaintext_secret_in_the_database(tenants):
    text = database_text()
    assert tenants[0].password_encrypted in text  # the scan does see the tenant rows
    assert PASSWORD not in text and SECRET_KEY not in text
    fresh = Tenant.objects.get(pk=tenants[0].pk)
    assert fresh.password == PASSWORD


def test_rotation(settings, make_tenant):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CREDENTIAL_KEYS = [old]
    tenant = make_tenant("Keys", auth="aksk", secret_key=SECRET_KEY)
    token_under_old = tenant.secret_key_encrypted

    settings.CREDENTIAL_KEYS = [new, old]  # new key first: still reads the old values
    assert Tenant.objects.get(pk=tenant.pk).secret_key == SECRET_KEY
    call_command("rotate_credential_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    rotated = Tenant.objects.get(pk=tenant.pk)
    assert rotated.secret_key_encrypted != token_under_old
    assert AuditEvent.objects.filter(action="keys_rotated").exists()

    settings.CREDENTIAL_KEYS = [new]  # old key retired: everything still decrypts
    assert Tenant.objects.get(pk=tenant.pk).secret_key == SECRET_KEY
    settings.CREDENTIAL_KEYS = [old]
    with pytest.raises(crypto.UndecryptableSecret):
        Tenant.objects.get(pk=tenant.pk).secret_key  # noqa: B018


def test_reprs_hide_secrets(tenants):
    from jobs.upstream.client import client_for

    for tenant in tenants:
        client = client_for(tenant)
        for text in (repr(tenant), str(tenant), repr(client.auth.__dict__)):
            assert PASSWORD not in text and SECRET_KEY not in text


def test_edit_form_is_write_only(login, people, tenant, caplog):
    client = login("admin")
    caplog.set_level(logging.DEBUG)
    html = client.get(f"/tenants/{tenant.slug}/edit/").content.decode()
    assert tenant.password not in html
    assert len(tenant.password) < 16 and "set; leave empty to keep" in html  # too short for a hint

    form = {
        "name": "Renamed",
        "region": tenant.region,
        "project_id": tenant.project_id,
        "auth_method": "password",
        "iam_domain": tenant.iam_domain,
        "iam_user": tenant.iam_user,
        "language": "en-us",
        "drs_endpoint": tenant.drs_endpoint,
        "iam_endpoint": tenant.iam_endpoint,
        "password": "",
    }
    before = tenant.password
    response = client.post(f"/tenants/{tenant.slug}/edit/", form)
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert tenant.name == "Renamed" and tenant.password == before
    assert not AuditEvent.objects.filter(action="credentials_changed").exists()

    response = client.post(f"/tenants/{tenant.slug}/edit/", {**form, "password": PASSWORD})
    tenant.refresh_from_db()
    assert tenant.password == PASSWORD
    event = AuditEvent.objects.get(action="credentials_changed")
    assert event.detail == {"fields": ["password"]}

    pages = [
        client.get(url).content.decode()
        for url in (
            f"/tenants/{tenant.slug}/",
            f"/tenants/{tenant.slug}/edit/",
            "/tenants/",
            "/audit/",
            "/",
        )
    ]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    audit = repr(list(AuditEvent.objects.values()))
    for text in [*pages, logged, audit, response["Location"]]:
        assert PASSWORD not in text


def test_secret_not_echoed_when_the_form_has_errors(login, people, tenant):
    client = login("admin")
    response = client.post(
        f"/tenants/{tenant.slug}/edit/",
        {"name": "", "auth_method": "password", "password": PASSWORD},
    )
    assert response.status_code == 400
    assert PASSWORD not in response.content.decode()


def test_long_secrets_show_their_last_four(login, people, make_tenant):
    tenant = make_tenant("Keys", auth="aksk", secret_key=SECRET_KEY)
    people["admin"].memberships.create(tenant=tenant, role="admin")
    html = login("admin").get(f"/tenants/{tenant.slug}/edit/").content.decode()
    assert f"set (…{SECRET_KEY[-4:]})" in html
    assert SECRET_KEY[:-4] not in html


def test_undecryptable_secret_is_a_page_not_a_500(settings, login, people, tenant):
    settings.CREDENTIAL_KEYS = [Fernet.generate_key().decode()]  # the stored one is unreadable
    client = login("admin")
    edit = client.get(f"/tenants/{tenant.slug}/edit/")
    assert edit.status_code == 200 and "enter it again" in edit.content.decode()
    job = client.get(f"/tenants/{tenant.slug}/jobs/{EXAMPLE_ID}/")
    assert job.status_code == 502
    assert "cannot be decrypted" in job.content.decode()
    assert client.get("/").status_code == 200
