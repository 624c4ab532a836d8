"""Every simulator fault × every surface: never a 500, always the right plain-language message.

A surface is one way a person (or a script) meets DRS data: the job page before and after we
have a snapshot, its live fragment, the error-log download, a tenant's job list and its
fragment, the exports, the overview, failures by cause, and the `jobs` CLI. Each case injects
one fault for every DRS request and checks the status code, the sentence `upstream.explain`
gives for that failure, the absence of a traceback or error page, and that the last-known
snapshot survives.
"""

from __future__ import annotations

import html
import io
import json
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jobs import drs
from jobs.drs.errors import error_for_response
from jobs.mirror.models import JobSnapshot
from jobs.simulator import faults
from jobs.sync.tenant import sync_tenant
from jobs.upstream.messages import explain
from tests.faults.support import ProbeJobs
from tests.support import LIVE, TABLE

pytestmark = pytest.mark.django_db

READ_TIMEOUT = 0.5  # below the 1.5 s delay fault
# One call with its retries. 1 s still leaves room for the retry after a 5xx or a timeout (the
# first backoff is 0.375-0.625 s); 2 s would allow a third attempt but double the time every
# failing case waits, and the 12 × 14 matrix would take two minutes instead of one.
DEADLINE = 1.0
PROBE_NAME = "fault-matrix-probe"
FORBIDDEN = ("Traceback", "Internal Server Error", "Server Error (500)", 'File "/')


@dataclass(frozen=True)
class Expect:
    """What one fault turns into: the page status without a snapshot, and the explanation."""

    status: int  # job page without a snapshot; 200 means the body still renders
    params: dict
    message: str = ""  # a fragment of explain()'s sentence ("" for faults that still render)
    quoted: str = ""  # upstream text the pages may quote verbatim (nginx's error title)

    @property
    def fails(self) -> bool:
        return self.status != 200


def _http(status: int) -> Expect:
    """explain() of exactly what the client makes of the simulator's nginx error page."""
    error = error_for_response(status, faults.html_error(status).body.decode(), "")
    return Expect(503, {}, explain(error), quoted=error.error_msg)


def _gateway_message(status: int, code: str, message: str) -> str:
    body = json.dumps({"error_code": code, "error_msg": message})
    return explain(error_for_response(status, body, ""))


UNREACHABLE = "Could not reach the endpoint:"
NOT_DRS = "The endpoint answered with something that is not the DRS API:"
OVERSIZED, CAP = faults.DEFAULT_OVERSIZED_BYTES, drs.ClientSettings().max_body_bytes  # 12, 8 MiB

EXPECTED: dict[str, Expect] = {
    "delay": Expect(503, {"seconds": 1.5}, f"{UNREACHABLE} Timed out after"),
    "http_500": _http(500),
    "http_502": _http(502),
    "http_503": _http(503),
    "throttle": Expect(503, {}, _gateway_message(429, "APIG.0308", faults.THROTTLE_MESSAGE)),
    "malformed_json": Expect(502, {}, f"{NOT_DRS} DRS answered with malformed JSON"),
    "non_object_json": Expect(502, {}, f"{NOT_DRS} DRS answered with a JSON list, not an object"),
    "oversized": Expect(502, {}, f"{NOT_DRS} Response of {OVERSIZED} bytes exceeds the {CAP}-byte"),
    "drop": Expect(503, {}, UNREACHABLE),
    "missing_fields": Expect(200, {}),
    "unknown_status": Expect(200, {"status": "PAUSED"}),
    "expired_token": Expect(502, {}, _gateway_message(401, "APIG.0301", "token expires")),
}


def test_every_fault_kind_is_in_the_matrix():
    """Hostile kinds (trickle, deep nesting, …) have their own suite: tests/faults/test_hostile.py;
    kinds that hit creates only (a lost answer) are the actions suite's: tests/actions."""
    plain = set(faults.KINDS) - set(faults.HOSTILE_KINDS) - faults.CREATE_ONLY
    assert set(EXPECTED) == plain, "add the new fault kind to EXPECTED"


def test_oversized_default_is_beyond_the_client_cap():
    assert CAP < OVERSIZED


def assert_clean(text: str, expect: Expect) -> str:
    """No traceback or error page; quoted upstream text (nginx's 500 title) is allowed."""
    plain = html.unescape(text)
    scrubbed = plain
    for allowed in (expect.message, expect.quoted):
        scrubbed = scrubbed.replace(allowed, "") if allowed else scrubbed
    for marker in FORBIDDEN:
        assert marker not in scrubbed, marker
    return plain


def assert_message(text: str, expect: Expect) -> None:
    assert expect.message, "a failing fault needs a message"
    assert expect.message in " ".join(html.unescape(text).split()), expect.message


# -- the context each surface gets -------------------------------------------------------------


@dataclass
class Case(ProbeJobs):
    probe_name = PROBE_NAME
    kind: str
    expect: Expect
    client: object
    tenant: object
    simulator: object

    def inject(self) -> None:
        """The fault on every DRS request from now on (the simulator fixture clears it)."""
        self.simulator.set_fault(self.kind, target="*", **self.expect.params)


@pytest.fixture
def fast(settings, request):
    """Quick retries. Only `delay` needs the short read timeout (its 1.5 s reply must time
    out); the others get the whole deadline, so a busy machine cannot turn them into timeouts."""
    kind = request.node.callspec.params.get("kind") if hasattr(request.node, "callspec") else None
    settings.DRS_DEADLINE = DEADLINE
    settings.DRS_READ_TIMEOUT = READ_TIMEOUT if kind in (None, "delay") else DEADLINE
    settings.DRS_CONNECT_TIMEOUT = READ_TIMEOUT
    settings.JOB_REFRESH_SECONDS = 5
    settings.SYNC_CALLS_PER_MINUTE = 10_000  # the session simulator gathers many live jobs


# -- surfaces ---------------------------------------------------------------------------------


def page_without_snapshot(case: Case) -> None:
    job_id = case.new_job()
    case.inject()
    response = case.client.get(case.job_url(job_id))
    expect = case.expect
    assert response.status_code == expect.status
    text = assert_clean(response.content.decode(), expect)
    if expect.fails:
        assert_message(text, expect)
        assert job_id in text and 'role="alert"' in text
        assert ("Retry-After" in response) == (expect.status == 503)
        if expect.status == 503:
            assert int(response["Retry-After"]) > 0
        assert not JobSnapshot.objects.filter(job_id=job_id).exists()
    else:
        assert 'id="job-live"' in text and 'id="files"' in text
        if case.kind == "unknown_status":
            assert "PAUSED" in text


def page_with_snapshot(case: Case) -> None:
    job_id, before = case.seen_job()
    history = before.history.count()
    case.inject()
    response = case.client.get(case.job_url(job_id))
    assert response.status_code == 200
    text = assert_clean(response.content.decode(), case.expect)
    for section in ('id="job-live"', 'id="files"', 'id="target"', 'id="options"', 'id="raw"'):
        assert section in text, section
    assert job_id in text
    after = JobSnapshot.objects.get(pk=before.pk)
    if case.expect.fails:
        assert_message(text, case.expect)
        assert PROBE_NAME in text  # the last-known name
        assert "Stale since" in text
        assert "TRANSFERRING" in text  # the last-known status
        assert (after.status, after.raw_json, after.fetched_at) == (
            before.status,
            before.raw_json,
            before.fetched_at,
        )
        assert before.history.count() == history
    else:
        assert "Stale since" not in text
        assert after.fetched_at > before.fetched_at  # the fresh answer replaced it


def live_without_snapshot(case: Case) -> None:
    job_id = case.new_job()
    case.inject()
    response = case.client.get(
        case.job_url(job_id), {"seen": "TRANSFERRING", "errors": "2"}, **LIVE
    )
    assert response.status_code == 200
    text = assert_clean(response.content.decode(), case.expect)
    assert text.lstrip().startswith('<section id="job-live"')
    assert "<html" not in text  # a fragment, not a page
    if case.expect.fails:
        assert_message(text, case.expect)
        assert 'role="alert"' in text and "Retrying automatically." in text
        assert 'data-poll-errors="3"' in text  # the browser backs off
    else:
        assert 'data-poll-errors="0"' in text and "Stale since" not in text


def live_with_snapshot(case: Case) -> None:
    job_id, before = case.seen_job()
    case.inject()
    response = case.client.get(
        case.job_url(job_id), {"seen": "TRANSFERRING", "errors": "2"}, **LIVE
    )
    assert response.status_code == 200
    text = assert_clean(response.content.decode(), case.expect)
    assert text.lstrip().startswith('<section id="job-live"')
    if case.expect.fails:
        assert_message(text, case.expect)
        assert "Stale since" in text and PROBE_NAME in text
        assert 'data-poll-errors="3"' in text
        assert JobSnapshot.objects.get(pk=before.pk).raw_json == before.raw_json
    else:
        assert "Stale since" not in text and 'data-poll-errors="0"' in text
        assert 'id="job-sections" hx-swap-oob="true"' in text  # the status changed


def error_log_download(case: Case) -> None:
    job_id = case.new_job()
    case.inject()
    response = case.client.get(case.job_url(job_id) + "error-log.txt")
    text = assert_clean(response.content.decode(), case.expect)
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    if case.expect.fails:
        assert response.status_code == 503
        assert_message(text, case.expect)
    else:
        assert response.status_code == 200


def sync_under_fault(case: Case) -> None:
    """Fleet pages read the mirror: a fault reaches them as the sync's recorded failure."""
    assert sync_tenant(case.tenant).ok
    case.inject()
    result = sync_tenant(case.tenant, full=True)
    assert result.ok is not case.expect.fails, result


def job_list(case: Case) -> None:
    sync_under_fault(case)
    response = case.client.get(f"/tenants/{case.tenant.slug}/jobs/")
    assert response.status_code == 200
    text = assert_clean(response.content.decode(), case.expect)
    assert '<div id="job-table"' in text and 'class="filters"' in text
    _list_outcome(case, text)


def job_list_fragment(case: Case) -> None:
    sync_under_fault(case)
    response = case.client.get(f"/tenants/{case.tenant.slug}/jobs/", {"status": ""}, **TABLE)
    assert response.status_code == 200
    text = assert_clean(response.content.decode(), case.expect)
    assert text.lstrip().startswith('<div id="job-table"') and "<html" not in text
    _list_outcome(case, text)


def _list_outcome(case: Case, text: str) -> None:
    if case.expect.fails:
        assert_message(text, case.expect)
        assert 'class="banner stale" role="alert"' in text
        assert "data-poll-seconds" in text  # keeps trying
    else:
        assert 'class="banner stale"' not in text and "<tbody>" in text
        if case.kind == "unknown_status":
            assert "PAUSED" in text


def list_export_csv(case: Case) -> None:
    sync_under_fault(case)
    response = case.client.get(f"/tenants/{case.tenant.slug}/jobs/", {"format": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert_clean(text, case.expect)
    assert text.startswith("id,")
    assert ("# export incomplete" in text) == case.expect.fails


def list_export_json(case: Case) -> None:
    sync_under_fault(case)
    response = case.client.get(f"/tenants/{case.tenant.slug}/jobs/", {"format": "json"})
    assert response.status_code == 200
    raw = b"".join(response.streaming_content).decode()
    assert_clean(raw, case.expect)
    data = json.loads(raw)
    assert data["complete"] is not case.expect.fails
    assert bool(data["problem"]) is case.expect.fails


def failures_exports(case: Case) -> None:
    """Both formats, from the mirror; a failing sync makes them say so."""
    sync_under_fault(case)
    response = case.client.get("/failures/", {"days": 0, "format": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert_clean(text, case.expect)
    assert text.startswith("signature,tenant,")
    response = case.client.get("/failures/", {"days": 0, "format": "json"})
    assert response.status_code == 200
    raw = b"".join(response.streaming_content).decode()
    assert_clean(raw, case.expect)
    assert isinstance(json.loads(raw)["jobs"], list)


def overview(case: Case) -> None:
    sync_under_fault(case)
    response = case.client.get("/")
    assert response.status_code == 200
    text = assert_clean(response.content.decode(), case.expect)
    assert f'id="tenant-{case.tenant.slug}"' in text
    if case.expect.fails:
        assert f"Sync of {case.tenant.name} is failing" in text
        assert_message(text, case.expect)
    else:
        assert 'role="alert"' not in text and "All jobs" in text


def failures(case: Case) -> None:
    sync_under_fault(case)
    response = case.client.get("/failures/", {"days": 0})
    assert response.status_code == 200
    text = assert_clean(response.content.decode(), case.expect)
    if case.expect.fails:
        assert f"Sync of {case.tenant.name} is failing" in text
        assert_message(text, case.expect)
    else:
        assert 'class="banner stale"' not in text


def _cli(case: Case, *args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    if not case.expect.fails:
        call_command("jobs", *args, stdout=out, stderr=err)
        assert_clean(out.getvalue() + err.getvalue(), case.expect)
        return out.getvalue()
    with pytest.raises(CommandError) as raised:
        call_command("jobs", *args, stdout=out, stderr=err)
    assert raised.value.returncode == 2
    message = str(raised.value)
    assert_clean(message + out.getvalue() + err.getvalue(), case.expect)
    assert_message(message, case.expect)
    assert out.getvalue() == ""
    return message


def cli_show(case: Case) -> None:
    job_id = case.new_job()
    case.inject()
    out = _cli(case, "show", case.tenant.slug, job_id)
    if not case.expect.fails:  # (a failure is the same error before any output either way)
        assert "Job id:" in out and job_id in out
        assert json.loads(_cli(case, "show", case.tenant.slug, job_id, "--json"))["id"] == job_id
        if case.kind == "unknown_status":
            assert "PAUSED" in out


def cli_list(case: Case) -> None:
    case.inject()
    out = _cli(case, "list", case.tenant.slug, "--limit", "5")
    if not case.expect.fails:
        assert " jobs" in out.splitlines()[-1]


SURFACES = {
    fn.__name__: fn
    for fn in (
        page_without_snapshot,
        page_with_snapshot,
        live_without_snapshot,
        live_with_snapshot,
        error_log_download,
        job_list,
        job_list_fragment,
        list_export_csv,
        list_export_json,
        failures_exports,
        overview,
        failures,
        cli_show,
        cli_list,
    )
}


@pytest.mark.parametrize("surface", list(SURFACES))
@pytest.mark.parametrize("kind", list(EXPECTED))
def test_fault_on_surface(kind, surface, fast, login, tenant, simulator):
    case = Case(kind, EXPECTED[kind], login("viewer"), tenant, simulator)
    SURFACES[surface](case)


@pytest.mark.parametrize("kind", [k for k in EXPECTED if k != "expired_token"])
def test_aksk_tenant_job_page(kind, fast, make_tenant, people, login, simulator):
    """The same outcomes when requests are signed (faults never break a signature, so the
    access key is never locked out)."""
    keys = make_tenant("Keys", auth="aksk")
    people["viewer"].memberships.create(tenant=keys, role="viewer")
    case = Case(kind, EXPECTED[kind], login("viewer"), keys, simulator)
    page_without_snapshot(case)


def test_expired_token_does_not_touch_aksk(fast, make_tenant, people, login, simulator):
    keys = make_tenant("Keys", auth="aksk")
    people["viewer"].memberships.create(tenant=keys, role="viewer")
    job_id = simulator.add_live_job(600)
    simulator.set_fault("expired_token")
    assert login("viewer").get(f"/tenants/{keys.slug}/jobs/{job_id}/").status_code == 200


# -- found by the matrix: exports that hide or garble the failure -------------------------------


def test_failures_export_says_when_a_tenant_could_not_be_read(fast, login, tenant, simulator):
    simulator.set_fault("http_503")
    sync_tenant(tenant)
    client = login("viewer")
    response = client.get("/failures/", {"days": 0, "format": "json"})
    data = json.loads(b"".join(response.streaming_content))
    assert data["complete"] is False
    assert tenant.slug in data["problem"] and "DRS is unavailable" in data["problem"]
    response = client.get("/failures/", {"days": 0, "format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "# export incomplete" in text and tenant.slug in text


def test_list_export_problem_is_the_plain_sentence(fast, login, tenant, simulator):
    expect = EXPECTED["expired_token"]
    simulator.set_fault("expired_token")
    sync_tenant(tenant)
    client = login("viewer")
    response = client.get(f"/tenants/{tenant.slug}/jobs/", {"format": "json"})
    assert_message(json.loads(b"".join(response.streaming_content))["problem"], expect)
    response = client.get(f"/tenants/{tenant.slug}/jobs/", {"format": "csv"})
    assert_message(b"".join(response.streaming_content).decode("utf-8-sig"), expect)
