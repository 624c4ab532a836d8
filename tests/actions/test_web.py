"""Job actions through the web pages, over real HTTP against the simulator: create (with its
documented checks, the preview, the refusals, the double submit and the lost answer), recreate,
rename, tags, delete one and many."""

from __future__ import annotations

import json
import re
import time
from html import unescape

import pytest
from django.test import Client

from jobs.mirror.models import JobEvent, MirroredJob
from jobs.simulator.config import READER_USER
from jobs.tenants.models import AuditEvent, Membership
from tests.support import text_of, wait_for

pytestmark = pytest.mark.django_db


def unique(prefix: str) -> str:
    return f"{prefix}-{int(time.time() * 1000) % 10**9}"


def form(**changes) -> dict:
    data = {
        "name": unique("web"),
        "file_source": "OBS",
        "bucket_name": "erp-backups",
        "files": "1706510914000_1_Sales.bak | backups/2024/",
        "target_instance_id": "0a3182607bc549bcb46cc9a8755761a6in04",
        "recovery_mode": "full",
        "is_last_backup": "on",
        "is_precheck": "on",
        "is_default_restore": "on",
        "is_delete_backup_file": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def quick(simulator):
    before = simulator.config.created_job_seconds
    simulator.config.created_job_seconds = 2.0
    yield simulator
    simulator.config.created_job_seconds = before


@pytest.fixture
def on(tenant):
    tenant.actions_enabled = True
    tenant.save()
    return tenant


def token_of(client, tenant) -> str:
    page = client.get(f"/tenants/{tenant.slug}/jobs/new/").content.decode()
    return page.split('name="token" value="', 1)[1].split('"', 1)[0]


def named(simulator, name):
    return [j for j in simulator.store.ids() if simulator.store.get(j)["base_info"]["name"] == name]


def test_an_operator_creates_a_job_and_lands_on_its_live_page(login, on, quick):
    client = login("operator")
    data = form(token=token_of(client, on))
    response = client.post(f"/tenants/{on.slug}/jobs/new/", data)
    assert response.status_code == 302
    [job_id] = named(quick, data["name"])
    assert response["Location"] == f"/tenants/{on.slug}/jobs/{job_id}/"
    row = MirroredJob.objects.get(tenant=on, job_id=job_id)  # known at once, before any sync
    assert (row.name, row.status) == (data["name"], "TRANSFERRING")
    sent = quick.store.get(job_id)
    assert sent["backup_info"]["bucket_name"] == "erp-backups"
    assert sent["options"]["is_precheck"] is True
    event = AuditEvent.objects.get(action="job_created", tenant=on)
    assert event.actor_name == "operator"
    assert event.detail["job_id"] == job_id and event.detail["request_id"]
    assert event.detail["body"]["backup_info"]["files"] == [
        {"name": "1706510914000_1_Sales.bak", "obs_path": "backups/2024/"}
    ]
    page = client.get(response["Location"])
    assert "TRANSFERRING" in text_of(page.content.decode()).upper()


def test_the_preview_shows_the_exact_body_and_sends_nothing(login, on, simulator):
    client = login("operator")
    data = form(preview="1", db_names="Sales", is_default_restore=None)
    response = client.post(f"/tenants/{on.slug}/jobs/new/", data)
    assert response.status_code == 200
    assert not named(simulator, data["name"])
    html = response.content.decode()
    body = json.loads(unescape(html.split('id="request-body"><code>', 1)[1].split("</code>")[0]))
    assert body["options"]["db_names"] == ["Sales"]
    assert body["options"]["is_default_restore"] is False
    assert body["base_info"]["engine_type"] == "sqlserver"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"name": "abc"}, "name", "4 to 50"),
        ({"name": "9starts-with-digit"}, "name", "starting with a letter"),
        ({"bucket_name": "Erp_Backups"}, "bucket_name", "lower-case"),
        ({"bucket_name": "10.0.0.1"}, "bucket_name", "IP address"),
        ({"is_default_restore": None}, "db_names", "Name the databases"),
        ({"new_db_name": "Sales2", "is_last_backup": None}, "new_db_name", "last backup"),
        ({"new_db_name": "Sales2", "recovery_mode": "incre"}, "new_db_name", "full backup"),
        (
            {"new_db_name": "S2", "is_default_restore": None, "db_names": "A\nB"},
            "new_db_name",
            "one database",
        ),
        ({"file_source": "RDS", "rds_version": "2019_SE"}, "file_id", "RDS backup"),
        (
            {
                "file_source": "RDS",
                "file_id": "f1",
                "rds_version": "2019_SE",
                "rds_source_instance_id": "src",
                "recovery_mode": "incre",
            },
            "recovery_mode",
            "full only",
        ),
        ({"tags": "bad key!=x"}, "tags", "Tag key"),
    ],
)
def test_documented_constraints_are_checked_before_sending(
    login, on, simulator, changes, field, words
):
    client = login("operator")
    calls = simulator.calls()
    response = client.post(f"/tenants/{on.slug}/jobs/new/", form(**changes))
    assert response.status_code == 400
    assert words in text_of(response.content.decode())
    assert f'id="id_{field}_error' in response.content.decode() or field == "tags"
    assert simulator.calls() == calls  # nothing reached DRS


def test_what_is_not_documented_is_not_enforced(login, on, quick):
    """A name of 50 characters, obs_path empty, an unknown FILESTREAM value: DRS decides."""
    client = login("operator")
    name = "a" * 40 + unique("x")[-9:]
    data = form(name=name[:50], files="plain.bak", ms_file_stream_status="whatever")
    response = client.post(f"/tenants/{on.slug}/jobs/new/", data)
    assert response.status_code == 302
    [job_id] = named(quick, name[:50])
    assert quick.store.get(job_id)["target_db_info"]["ms_file_stream_status"] == "whatever"


def test_htmx_validates_as_you_type(login, on, simulator):
    client = login("operator")
    response = client.post(
        f"/tenants/{on.slug}/jobs/new/", form(name="ab", validate="1"), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="create-form">')
    assert "4 to 50" in text_of(html)


@pytest.mark.parametrize("who", ["viewer", "outsider"])
def test_viewers_and_outsiders_cannot_create(login, on, simulator, who):
    jobs = len(simulator.store)
    response = login(who).post(f"/tenants/{on.slug}/jobs/new/", form())
    assert response.status_code == {"viewer": 403, "outsider": 404}[who]
    assert len(simulator.store) == jobs


def test_a_disabled_tenant_refuses_every_action(login, tenant, simulator):
    client = login("admin")
    jobs = len(simulator.store)
    response = client.post(f"/tenants/{tenant.slug}/jobs/new/", form())
    assert response.status_code == 403
    assert "Job actions are off" in text_of(response.content.decode())
    assert len(simulator.store) == jobs
    some = simulator.store.ids()[0]
    rename = client.post(f"/tenants/{tenant.slug}/jobs/{some}/rename/", {"name": "x-name"})
    assert rename.status_code == 403


def test_read_only_credentials_say_so(login, make_tenant, simulator, people):
    reader = make_tenant("Reader", iam_user=READER_USER[1], password=READER_USER[2])
    reader.actions_enabled = True
    reader.save()
    Membership.objects.create(user=people["operator"], tenant=reader, role="operator")
    client = login("operator")
    jobs = len(simulator.store)
    response = client.post(f"/tenants/{reader.slug}/jobs/new/", form())
    assert response.status_code == 403
    text = text_of(response.content.decode())
    assert "These credentials may not change jobs" in text
    assert "drs:backupMigration:create" in text
    assert len(simulator.store) == jobs
    event = AuditEvent.objects.get(action="job_create_failed", tenant=reader)
    assert event.detail["answer"]["error_code"] == "DRS.M00102"


def test_a_double_submit_creates_one_job(login, on, quick):
    client = login("operator")
    data = form(token=token_of(client, on))
    first = client.post(f"/tenants/{on.slug}/jobs/new/", data)
    second = client.post(f"/tenants/{on.slug}/jobs/new/", data)
    assert len(named(quick, data["name"])) == 1
    assert first["Location"] == second["Location"]
    assert AuditEvent.objects.filter(action="job_created").count() == 1


def test_two_people_pressing_the_same_button_create_one_job(login, on, quick, people):
    data = form()
    operator = login("operator")
    first = operator.post(
        f"/tenants/{on.slug}/jobs/new/", {**data, "token": token_of(operator, on)}
    )
    admin = Client()
    admin.force_login(people["admin"])
    second = admin.post(f"/tenants/{on.slug}/jobs/new/", {**data, "token": token_of(admin, on)})
    assert len(named(quick, data["name"])) == 1
    assert first["Location"] == second["Location"]


def test_a_create_whose_answer_is_lost_is_found_not_resent(login, on, quick):
    quick.set_fault("lost_answer", count=1)
    client = login("operator")
    data = form(token=token_of(client, on))
    response = client.post(f"/tenants/{on.slug}/jobs/new/", data, follow=True)
    [job_id] = named(quick, data["name"])  # one job in DRS
    assert response.redirect_chain[0][0] == f"/tenants/{on.slug}/jobs/{job_id}/"
    assert "it was created once, and it was not sent again" in text_of(response.content.decode())
    assert MirroredJob.objects.filter(tenant=on, job_id=job_id).exists()


def test_a_create_that_never_reached_drs_says_nothing_was_created(login, on, quick):
    quick.set_fault("drop", target="create", count=1)  # the connection drops before DRS acts
    client = login("operator")
    data = form(token=token_of(client, on))
    response = client.post(f"/tenants/{on.slug}/jobs/new/", data)
    assert response.status_code == 503
    assert "nothing was created" in text_of(response.content.decode())
    assert named(quick, data["name"]) == []
    again = client.post(f"/tenants/{on.slug}/jobs/new/", {**data, "token": token_of(client, on)})
    assert again.status_code == 302
    assert len(named(quick, data["name"])) == 1


def test_actions_are_rate_limited_per_person(login, on, quick, settings):
    settings.USER_UPSTREAM_ACTIONS_PER_MINUTE = 1
    client = login("operator")
    assert client.post(f"/tenants/{on.slug}/jobs/new/", form()).status_code == 302
    refused = client.post(f"/tenants/{on.slug}/jobs/new/", form())
    assert refused.status_code == 403
    assert "Too many job actions" in text_of(refused.content.decode())


def test_csrf_is_required(people, on, simulator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["operator"])
    assert client.post(f"/tenants/{on.slug}/jobs/new/", form()).status_code == 403


def test_recreate_prefills_from_the_failed_job_with_the_fix(login, on, simulator):
    job_id = simulator.add_live_job(
        0,
        "FAILED",
        name="erp-restore",
        bucket_name="erp-backups",
        error_log="Msg 1801, Level 16, State 3, Line 1\nDatabase 'Sales' already exists. "
        "Choose a different database name.",
    )
    client = login("operator")
    page = client.get(f"/tenants/{on.slug}/jobs/{job_id}/")
    assert f"/jobs/new/?from={job_id}&amp;kind=recreate" in page.content.decode()
    response = client.get(f"/tenants/{on.slug}/jobs/new/?from={job_id}&kind=recreate")
    html = response.content.decode()
    assert 'value="erp-restore-r2"' in html
    assert 'value="erp-backups"' in html
    assert "already exists on the target" in text_of(html)  # the fix, and why
    [cover] = re.findall(r"<input[^>]*name=\"is_cover\"[^>]*>", html)
    assert "checked" in cover


def test_rename_follows_in_the_mirror_at_once(login, on, quick):
    job_id = quick.add_live_job(0, "SUCCESS", name="old-name")
    client = login("operator")
    client.get(f"/tenants/{on.slug}/jobs/{job_id}/")  # the mirror knows it
    response = client.post(
        f"/tenants/{on.slug}/jobs/{job_id}/rename/", {"name": "new-name", "description": "d"}
    )
    assert response.status_code == 302
    assert quick.store.get(job_id)["base_info"]["name"] == "new-name"
    row = MirroredJob.objects.get(tenant=on, job_id=job_id)
    assert row.name == "new-name"
    assert JobEvent.objects.filter(job=row, kind=JobEvent.Kind.RENAMED).exists()
    assert AuditEvent.objects.get(action="job_updated").detail["body"]["name"] == "new-name"


def test_tags_are_added_and_removed(login, on, quick):
    job_id = quick.add_live_job(0, "SUCCESS")
    client = login("operator")
    url = f"/tenants/{on.slug}/jobs/{job_id}/tags/"
    assert client.post(url, {"add": "customer=acme\nticket=T-9"}).status_code == 302
    assert client.post(url, {"remove": "ticket"}).status_code == 302
    assert quick.store.get(job_id)["base_info"]["tags"] == [{"key": "customer", "value": "acme"}]


def test_deleting_a_running_job_is_refused_before_any_delete_call(login, on, quick):
    job_id = quick.add_live_job(600, "SUCCESS")
    client = login("operator")
    confirm = client.get(f"/tenants/{on.slug}/jobs/{job_id}/delete/")
    assert "still running" in text_of(confirm.content.decode())
    response = client.post(f"/tenants/{on.slug}/jobs/delete/", {"job_id": job_id, "confirm": "yes"})
    assert response.status_code == 409
    assert quick.store.get(job_id) is not None
    assert not AuditEvent.objects.filter(action="job_deleted").exists()


def test_bulk_delete_names_what_it_deletes_and_deletes_only_finished_jobs(login, on, quick):
    done = [quick.add_live_job(0, "SUCCESS", name=f"done-{i}") for i in range(2)]
    running = quick.add_live_job(600, "SUCCESS", name="still-going")
    client = login("operator")
    ids = {"job_id": [*done, running]}
    confirm = client.post(f"/tenants/{on.slug}/jobs/delete/", ids)
    text = text_of(confirm.content.decode())
    assert "This deletes 2 jobs" in text and "done-0" in text and "done-1" in text
    assert "still-going" in text.split("Not deleted", 1)[1]
    response = client.post(f"/tenants/{on.slug}/jobs/delete/", {**ids, "confirm": "yes"})
    assert response.status_code == 409  # one refused
    assert [quick.store.get(j) for j in done] == [None, None]
    assert quick.store.get(running) is not None
    for job_id in done:
        assert MirroredJob.objects.get(tenant=on, job_id=job_id).deleted_at is not None
    assert AuditEvent.objects.filter(action="job_deleted").count() == 2


def test_a_created_job_runs_to_success_on_its_page(login, on, quick):
    client = login("operator")
    response = client.post(f"/tenants/{on.slug}/jobs/new/", form())
    url = response["Location"]
    job_id = url.rstrip("/").rsplit("/", 1)[1]
    wait_for(lambda: quick.store.get(job_id)["status"] == "SUCCESS", 10, "the job to finish")
    page = client.get(url + "?refresh=1")
    assert "SUCCESS" in text_of(page.content.decode()).upper()


def test_the_job_list_offers_a_selection_for_bulk_delete_to_operators_only(login, on, simulator):
    job_id = simulator.add_live_job(0, "SUCCESS", name="listed-job")
    operator = login("operator")
    operator.get(f"/tenants/{on.slug}/jobs/{job_id}/")  # into the mirror
    html = operator.get(f"/tenants/{on.slug}/jobs/").content.decode()
    assert f'value="{job_id}" form="bulk-delete"' in html
    assert f'action="/tenants/{on.slug}/jobs/delete/"' in html
    viewer_html = login("viewer").get(f"/tenants/{on.slug}/jobs/").content.decode()
    assert 'form="bulk-delete"' not in viewer_html


def test_a_tenant_admin_turns_actions_on_and_off_on_the_tenant_page(login, tenant):
    admin = login("admin")
    page = admin.get(f"/tenants/{tenant.slug}/").content.decode()
    assert "Turn job actions on" in page
    assert admin.post(f"/tenants/{tenant.slug}/actions/", {"enabled": "on"}).status_code == 302
    tenant.refresh_from_db()
    assert tenant.actions_enabled is True
    assert AuditEvent.objects.filter(action="actions_enabled", tenant=tenant).count() == 1
    page = admin.get(f"/tenants/{tenant.slug}/").content.decode()
    assert "Turn job actions off" in page and f"/tenants/{tenant.slug}/jobs/new/" in page
    operator = login("operator")
    assert operator.post(f"/tenants/{tenant.slug}/actions/", {"enabled": "off"}).status_code == 403
    tenant.refresh_from_db()
    assert tenant.actions_enabled is True


HOSTILE = [
    "",
    "\x00",
    "a\x00b",
    "9" * 5000,
    "../../x",
    "<script>x</script>",
    "\u202eabc",
    "💥",
    "[]",
    "{}",
    "|||",
    "=",
    "a=b=c",
    "\r\n\r\n",
]
FIELDS = [
    "name",
    "bucket_name",
    "files",
    "target_instance_id",
    "db_names",
    "new_db_name",
    "tags",
    "file_source",
    "recovery_mode",
    "consistency_check_mode",
    "file_id",
    "token",
    "description",
    "ms_file_stream_status",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_input_never_gives_a_500(login, on, quick, value, settings):
    settings.USER_UPSTREAM_ACTIONS_PER_MINUTE = 10_000  # every input reaches as far as it can
    client = login("operator")
    for field in FIELDS:
        response = client.post(f"/tenants/{on.slug}/jobs/new/", form(**{field: value}))
        assert response.status_code < 500, (field, value, response.status_code)
    some = quick.add_live_job(0, "SUCCESS")
    for url, data in [
        (f"/tenants/{on.slug}/jobs/{some}/rename/", {"name": value, "description": value}),
        (f"/tenants/{on.slug}/jobs/{some}/tags/", {"add": value, "remove": value}),
        (f"/tenants/{on.slug}/jobs/delete/", {"job_id": [value, value]}),
    ]:
        assert client.post(url, data).status_code < 500, (url, value)


def test_a_finished_jobs_cached_page_offers_actions_per_person(login, on, simulator):
    job_id = simulator.add_live_job(0, "SUCCESS", name="cached-page-job")
    url = f"/tenants/{on.slug}/jobs/{job_id}/"
    assert 'id="delete"' in login("operator").get(url).content.decode()
    assert 'id="delete"' in login("operator").get(url).content.decode()  # from the cache
    viewer = login("viewer").get(url).content.decode()
    assert "cached-page-job" in viewer and 'id="job-actions"' not in viewer


def _chain(simulator, tenant, settings, outcome: str, database: str) -> str:
    """A one-step chain of `database` in the mirror (its job's outcome), and its page's path."""
    from jobs.sync.tenant import sync_tenant

    settings.SYNC_CALLS_PER_MINUTE = 1000
    job_id = simulator.add_live_job(
        0,
        outcome,
        name=unique("chain"),
        bucket_name="erp-backups",
        recovery_mode="full",
        is_last_backup=False,
        is_default_restore=False,
        db_names=[database],
    )
    instance = simulator.store.get(job_id)["target_db_info"]["target_instance_id"]
    for _run in range(2):  # the list in bulk, then the details newest first
        assert sync_tenant(tenant).ok
    return job_id, f"/tenants/{tenant.slug}/migrations/{instance}/{database}/"


def test_a_chain_awaiting_its_next_backup_offers_next_and_cut_over(login, on, simulator, settings):
    job_id, path = _chain(simulator, on, settings, "SUCCESS", unique("Awaits"))
    html = login("operator").get(path).content.decode()
    assert f"/jobs/new/?from={job_id}&amp;kind=next" in html
    assert f"/jobs/new/?from={job_id}&amp;kind=cutover" in html
    assert "kind=recreate" not in html
    viewer = login("viewer").get(path)
    assert viewer.status_code == 200 and 'id="chain-actions"' not in viewer.content.decode()
    on.actions_enabled = False
    on.save()
    assert 'id="chain-actions"' not in login("operator").get(path).content.decode()


def test_a_failed_chain_offers_recreate_of_its_failed_step(login, on, simulator, settings):
    job_id, path = _chain(simulator, on, settings, "FAILED", unique("Broken"))
    html = login("operator").get(path).content.decode()
    assert f"/jobs/new/?from={job_id}&amp;kind=recreate" in html
    assert "kind=cutover" not in html and "kind=next" not in html
