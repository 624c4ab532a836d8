"""`manage.py tenant …` round trips against the simulator, for both auth methods."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jobs.tenants.models import AuditEvent, Membership, Tenant

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def run(*args, stdin: str = "", env: dict | None = None) -> str:
    out = io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    old_env = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        call_command("tenant", *args, stdout=out)
    finally:
        sys.stdin = old_stdin
        for key, value in old_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return out.getvalue()


def test_password_tenant_round_trip(simulator, simulator_config, django_user_model):
    domain, user, password = simulator_config.iam_users[0]
    output = run(
        "add",
        "--name",
        "Acme Prod",
        "--region",
        "ap-southeast-3",
        "--project-id",
        simulator_config.project_id,
        "--auth",
        "password",
        "--domain",
        domain,
        "--user",
        user,
        "--drs-endpoint",
        simulator.url,
        "--iam-endpoint",
        simulator.url,
        env={"DRS_PASSWORD": password},
    )
    slug = output.strip().splitlines()[-1]
    tenant = Tenant.objects.get(slug=slug)
    assert tenant.password == password
    assert password not in output

    assert slug in run("list")
    assert "Connected" in run("test", slug)

    django_user_model.objects.create_user("dba")
    run("grant", slug, "dba", "--role", "operator")
    assert Membership.objects.get(user__username="dba", tenant=tenant).role == "operator"

    run("remove", slug)
    assert not Tenant.objects.filter(slug=slug).exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"tenant_created", "connection_tested", "member_added", "tenant_deleted"} <= actions


def test_aksk_secret_from_stdin(simulator, simulator_config):
    access_key, secret_key = next(iter(simulator_config.access_keys.items()))
    output = run(
        "add",
        "--name",
        "Keys",
        "--region",
        "ap-southeast-3",
        "--project-id",
        simulator_config.project_id,
        "--auth",
        "aksk",
        "--ak",
        access_key,
        "--drs-endpoint",
        simulator.url,
        stdin=secret_key + "\n",
    )
    slug = output.strip().splitlines()[-1]
    assert Tenant.objects.get(slug=slug).secret_key == secret_key
    assert "Connected" in run("test", slug)


def test_failing_connection_exits_non_zero(simulator, make_tenant):
    tenant = make_tenant(password="wrong")
    with pytest.raises(CommandError, match="refused the credentials"):
        run("test", tenant.slug)


def test_invalid_input_is_explained(simulator):
    with pytest.raises(CommandError, match="access_key"):
        run(
            "add",
            "--name",
            "X",
            "--region",
            "ap-southeast-3",
            "--project-id",
            "p",
            "--auth",
            "aksk",
            stdin="sk\n",
        )


def test_exit_status_from_a_real_process(simulator, tmp_path):
    """As a script sees it: the slug alone on the last line, exit 1 on a failed test."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "DRS_SK": "wrong-secret",
        "DRS_ALLOW_CUSTOM_ENDPOINTS": "1",  # the simulator is on loopback
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    added = subprocess.run(
        [
            *manage,
            "tenant",
            "add",
            "--name",
            "Script",
            "--region",
            "ap-southeast-3",
            "--project-id",
            "054ba152d480d55b2f5dc0069e7ddef0",
            "--auth",
            "aksk",
            "--ak",
            "DEMOAKSIMULATOR00001",
            "--drs-endpoint",
            simulator.url,
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    slug = added.stdout.strip().splitlines()[-1]
    assert slug == "script"
    tested = subprocess.run(
        [*manage, "tenant", "test", slug], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert tested.returncode == 2  # DRS or the credentials failed
    assert "AK/SK signature" in tested.stderr
    assert "wrong-secret" not in tested.stdout + tested.stderr


def test_list_has_a_header_row_and_json(make_tenant):
    import json

    make_tenant("Acme")
    make_tenant("Beta keys", auth="aksk")
    lines = run("list").splitlines()
    assert lines[0].split() == ["SLUG", "NAME", "REGION", "PROJECT", "ID", "AUTH"]
    assert lines[1].startswith("acme ") and "password" in lines[1]
    assert lines[2].startswith("beta-keys ") and lines[2].rstrip().endswith("aksk")
    assert lines[-1] == "2 tenants"
    data = json.loads(run("list", "--json"))
    assert [t["slug"] for t in data] == ["acme", "beta-keys"]
    assert set(data[0]) == {"slug", "name", "region", "project_id", "auth_method"}
    assert data[1]["auth_method"] == "aksk" and data[1]["name"] == "Beta keys"
