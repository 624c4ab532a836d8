"""`manage.py jobs create|recreate|rename|delete` and `manage.py tenant actions`, against the
simulator."""

from __future__ import annotations

import io
import json
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jobs.tenants.models import AuditEvent, Tenant
from tests.drs.test_changes import BODY

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def refused(*args: str) -> CommandError:
    with pytest.raises(CommandError) as error:
        run(*args)
    return error.value


@pytest.fixture
def on(tenant):
    run("tenant", "actions", tenant.slug, "on")
    tenant.refresh_from_db()
    return tenant


def body_file(tmp_path, **base) -> str:
    body = json.loads(json.dumps(BODY))
    body["base_info"].update(base)
    path = tmp_path / "body.json"
    path.write_text(json.dumps(body))
    return str(path)


def test_tenant_actions_on_and_off_are_audited_and_off_by_default(tenant):
    assert tenant.actions_enabled is False
    assert "on for" in run("tenant", "actions", tenant.slug, "on")
    assert Tenant.objects.get(pk=tenant.pk).actions_enabled is True
    assert "(already)" in run("tenant", "actions", tenant.slug, "on")
    run("tenant", "actions", tenant.slug, "off")
    actions = list(AuditEvent.objects.filter(tenant=tenant).values_list("action", flat=True))
    assert sorted(actions) == ["actions_disabled", "actions_enabled"]


def test_create_prints_the_new_job_id(on, simulator, tmp_path):
    name = f"cli-{int(time.time() * 1000) % 10**8}"
    out = run("jobs", "create", on.slug, "--file", body_file(tmp_path, name=name), "--yes")
    job_id = out.strip().splitlines()[-1]
    assert simulator.store.get(job_id)["base_info"]["name"] == name
    assert AuditEvent.objects.get(action="job_created").actor_name == "manage.py"


def test_create_without_yes_on_a_pipe_is_refused_and_sends_nothing(on, simulator, tmp_path):
    jobs = len(simulator.store)
    error = refused("jobs", "create", on.slug, "--file", body_file(tmp_path))
    assert error.returncode == 1 and "--yes" in str(error)
    assert len(simulator.store) == jobs


def test_create_refuses_a_body_breaking_the_rules_with_the_reason(on, simulator, tmp_path):
    jobs = len(simulator.store)
    error = refused("jobs", "create", on.slug, "--file", body_file(tmp_path, name="ab"), "--yes")
    assert error.returncode == 1 and "name:" in str(error)
    assert len(simulator.store) == jobs


def test_a_disabled_tenant_refuses(tenant, simulator, tmp_path):
    error = refused("jobs", "create", tenant.slug, "--file", body_file(tmp_path), "--yes")
    assert error.returncode == 1 and "Job actions are off" in str(error)


def test_recreate_rename_delete(on, simulator):
    failed = simulator.add_live_job(0, "FAILED", name="cli-failed-job")
    out = run("jobs", "recreate", on.slug, failed, "--yes")
    new_id = out.strip().splitlines()[-1]
    new = simulator.store.get(new_id)
    assert new["base_info"]["name"] == "cli-failed-job-r2"
    assert new["options"]["is_precheck"] is True
    run("jobs", "rename", on.slug, failed, "renamed-by-cli", "--description", "d", "--yes")
    assert simulator.store.get(failed)["base_info"]["name"] == "renamed-by-cli"
    error = refused("jobs", "delete", on.slug, new_id, "--yes")  # still running
    assert error.returncode == 1
    assert simulator.store.get(new_id) is not None
    assert "Deleted" in run("jobs", "delete", on.slug, failed, "--yes")
    assert simulator.store.get(failed) is None


def test_recreate_refuses_a_job_that_did_not_fail(on, simulator):
    done = simulator.add_live_job(0, "SUCCESS")
    error = refused("jobs", "recreate", on.slug, done, "--yes")
    assert error.returncode == 1 and "did not fail" in str(error)


def test_create_refuses_a_field_the_api_does_not_have(on, simulator, tmp_path):
    body = json.loads(json.dumps(BODY))
    body["options"]["is_precheckk"] = True
    path = tmp_path / "typo.json"
    path.write_text(json.dumps(body))
    error = refused("jobs", "create", on.slug, "--file", str(path), "--yes")
    assert error.returncode == 1 and "options.is_precheckk" in str(error)
