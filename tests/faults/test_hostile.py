"""Every hostile-upstream fault × every surface: no 500, no hang, a clear message, data kept.

The hostile kinds (`faults.HOSTILE_KINDS`) answer with valid HTTP whose content is meant to break
a client: bodies that trickle in one byte at a time, JSON nested 100,000 deep, dates at the edge
of the calendar, list items with ids that are not ids, C0/C1/ANSI/OSC/bidi text, a list that
repeats its first page for ever, 60,000 backup files, 5 MiB bodies, redirects to internal hosts.

Each case injects one kind on every DRS request and drives one surface: the job page before and
after a snapshot exists, its live fragment, the error-log download, the lookup box (a mirror
miss asks DRS), a tenant's fleet pages and exports after a sync under the fault, and the CLI.
Every request is timed with `time.monotonic()`: it must end within the short DRS_DEADLINE plus
a server-side margin. The viewer's time zone is Pacific/Kiritimati (UTC+14), the zone where a
date at the end of the calendar overflows first; `test_edge_dates_in_zone` adds others.
"""

from __future__ import annotations

import html
import io
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jobs.accounts.models import UserPreference
from jobs.drs.models import JOB_ID
from jobs.lib.terminal import safe
from jobs.mirror.models import JobSnapshot, MirroredJob, TenantSyncState
from jobs.simulator import faults
from jobs.sync.tenant import sync_tenant
from jobs.web.middleware import TZ_SESSION
from tests.faults.support import ProbeJobs
from tests.support import LIVE, TABLE, serving

pytestmark = pytest.mark.django_db

DEADLINE = 1.0  # DRS_DEADLINE: the wall-clock limit on one call, retries included
MARGIN = 3.0  # server-side work on top (rendering, the database, a busy 2-core machine)
TRICKLE_SECONDS = 0.2  # one byte every 0.2 s: a 2 KB body would take 7 minutes
HUGE_FILES = 60_000
FILES_SHOWN_MAX = 1000  # "the first few hundred files"
HUGE_DOWNLOAD_SECONDS = (
    10.0  # DRS_DEADLINE for the 6 MB answers of huge_files (the work is bounded by HUGE_PAGE)
)
HUGE_PAGE_SECONDS = 8.0  # a 60,000-file job, parsed and rendered (it took 11-20 s of CPU before)
HUGE_PAGE_BYTES = 2 * 1024 * 1024
PROBE_NAME = "hostile-probe"
ZONE = "Pacific/Kiritimati"
FORBIDDEN = ("Traceback", "Internal Server Error", "Server Error (500)", 'File "/')
# Raw in HTML, these would reorder or hide text: C0 (but tab, LF, CR), DEL, C1, bidi controls.
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
SYNC_PAGE = 50  # small pages, so that a walk needs several (the simulator holds 120+ jobs)
SYNC_DETAILS = 5  # details per sync run (each a 6 MB body under huge_files)
# A sync is no request, but each of its calls has the deadline: pages and details, one each.
SYNC_LIMIT = DEADLINE * (8 + SYNC_DETAILS) + MARGIN


@dataclass(frozen=True)
class Hostile:
    """What one hostile kind turns into."""

    params: dict = field(default_factory=dict)
    message: str = ""  # a fragment of explain()'s sentence when the read fails ("" renders)
    status: int = 200  # the job page without a snapshot
    sync_message: str = ""  # when only the sync fails (a list that repeats its pages)

    @property
    def fails(self) -> bool:
        return self.status != 200


NOT_DRS = "The endpoint answered with something that is not the DRS API:"
EXPECTED: dict[str, Hostile] = {
    "trickle": Hostile(
        {"seconds": TRICKLE_SECONDS}, "Could not reach the endpoint: Timed out", 503
    ),
    "deep_nesting": Hostile({}, f"{NOT_DRS} DRS answered with too deeply nested JSON", 502),
    "edge_dates": Hostile(),
    "bad_ids": Hostile(),
    "control_chars": Hostile(),
    # The list only: job pages are unaffected; the sync stops, incomplete, and says so.
    "repeated_pages": Hostile(sync_message=f"{NOT_DRS} DRS repeated a page of the job list"),
    "huge_files": Hostile({"files": HUGE_FILES}),
    "huge_body": Hostile(),
    # `location` is filled in with the trap server's address (see `trap`).
    "redirect_internal": Hostile({}, f"{NOT_DRS} DRS answered with a redirect (HTTP 302)", 502),
}


def test_every_hostile_kind_is_in_the_suite():
    assert set(EXPECTED) == set(faults.HOSTILE_KINDS), "add the new hostile kind to EXPECTED"


# -- the redirect trap: an "internal host" that must never be asked ----------------------------


class _Trap(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"secret": "instance metadata"}')

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def trap():
    with serving(_Trap) as server:
        yield f"{server.url}/latest/meta-data/"


# -- checks -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Work:
    """A bound on the work a call does, in CPU seconds of this process (all its threads): a
    60,000-file job is about cost, not waiting, and a busy machine stretches the wall clock but
    not the work. The wall clock stays bounded too, generously, so a hang still fails."""

    cpu_seconds: float
    wall_seconds: float = 60.0


HUGE_PAGE = Work(HUGE_PAGE_SECONDS)
# Under huge_files each detail the sync fetches is a 60,000-file answer: a page's work each (the
# simulator serving them runs in this process too), the wall clock bounded by the deadlines.
HUGE_SYNC = Work(
    HUGE_PAGE_SECONDS * SYNC_DETAILS, HUGE_DOWNLOAD_SECONDS * (8 + SYNC_DETAILS) + MARGIN
)


def timed(call, limit: float | Work = DEADLINE + MARGIN):
    """Run `call`; it must end within `limit` seconds (an upper bound with a margin), or within
    a `Work` budget."""
    started, cpu_started = time.monotonic(), time.process_time()
    try:
        return call()
    finally:
        elapsed = time.monotonic() - started
        if isinstance(limit, Work):
            cpu = time.process_time() - cpu_started
            assert cpu < limit.cpu_seconds, (
                f"used {cpu:.2f} s of CPU, more than {limit.cpu_seconds:.1f} s"
            )
            assert elapsed < limit.wall_seconds, (
                f"took {elapsed:.2f} s, more than {limit.wall_seconds:.0f} s"
            )
        else:
            assert elapsed < limit, f"took {elapsed:.2f} s, more than {limit:.1f} s"


def assert_clean(text: str) -> str:
    """No traceback or error page, no raw control character; returns the text unescaped."""
    for marker in FORBIDDEN:
        assert marker not in text, marker
    found = RAW_CONTROL.search(text)
    assert found is None, (
        f"raw {found.group(0)!r} at {found.start()}: {text[found.start() - 60 : found.end() + 20]!r}"
    )
    return html.unescape(text)


def assert_message(text: str, case: Case) -> None:
    assert case.expect.message, "a failing kind needs a message"
    assert case.expect.message in " ".join(html.unescape(text).split()), case.expect.message


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


# -- the context each surface gets -------------------------------------------------------------


@dataclass
class Case(ProbeJobs):
    probe_name = PROBE_NAME
    kind: str
    expect: Hostile
    client: object
    tenant: object
    simulator: object
    params: dict

    def inject(self) -> None:
        self.simulator.set_fault(self.kind, target="*", **self.params)

    def get(self, path: str, params: dict | None = None, limit: float = DEADLINE + MARGIN, **kw):
        return timed(lambda: self.client.get(path, params or {}, **kw), limit)


@pytest.fixture
def fast(settings):
    settings.DRS_DEADLINE = DEADLINE
    settings.DRS_READ_TIMEOUT = DEADLINE
    settings.DRS_CONNECT_TIMEOUT = DEADLINE
    settings.LOOKUP_TENANT_TIMEOUT = 1
    settings.JOB_REFRESH_SECONDS = 5
    settings.SYNC_CALLS_PER_MINUTE = 10_000  # the session simulator gathers many live jobs
    settings.SYNC_PAGE_SIZE = SYNC_PAGE
    settings.SYNC_DETAILS_PER_RUN = SYNC_DETAILS
    settings.SYNC_BACKFILL_PER_RUN = 0  # the back-fill of details has its own suite (tests/chains)


def viewer_in(login, people, zone: str):
    UserPreference.objects.update_or_create(user=people["viewer"], defaults={"time_zone": zone})
    client = login("viewer")
    session = client.session
    session[TZ_SESSION] = zone
    session.save()
    return client


def _case(kind, request, login, people, tenant, simulator, zone=ZONE) -> Case:
    params = dict(EXPECTED[kind].params)
    if kind == "redirect_internal":
        params["location"] = request.getfixturevalue("trap")
        _Trap.hits.clear()
    if kind == "huge_files":  # a 6 MB answer: downloading it is the work measured, not a fault
        request.getfixturevalue("fast")  # its 1 s deadline first, then this one over it
        settings = request.getfixturevalue("settings")
        settings.DRS_DEADLINE = settings.DRS_READ_TIMEOUT = HUGE_DOWNLOAD_SECONDS
    client = viewer_in(login, people, zone)
    return Case(kind, EXPECTED[kind], client, tenant, simulator, params)


# -- what a page shows when the read worked, per kind ------------------------------------------


def check_job_text(case: Case, text: str, job_id: str) -> None:
    """`text` is a job page or its live fragment, rendered from a fresh (hostile) answer."""
    if case.kind == "control_chars":
        assert "\\x1b[31m" in text  # shown as a visible escape, not interpreted
    if case.kind == "bad_ids":
        assert job_id in text  # the page is the job asked for, whatever id the body claims
    if case.kind == "huge_files" and 'id="files"' in text:
        rows = text.count("<tr>") - text.count("<thead><tr>")
        assert rows <= FILES_SHOWN_MAX, rows
        assert f"of {HUGE_FILES:,}" in text or f"of {HUGE_FILES}" in text  # the count


# -- surfaces ---------------------------------------------------------------------------------


def page_without_snapshot(case: Case) -> None:
    job_id = case.new_job()
    case.inject()
    limit = HUGE_PAGE if case.kind == "huge_files" else DEADLINE + MARGIN
    response = case.get(case.job_url(job_id), limit=limit)
    assert response.status_code == case.expect.status
    text = assert_clean(response.content.decode())
    if case.expect.fails:
        assert_message(text, case)
        assert job_id in text and 'role="alert"' in text
        assert not JobSnapshot.objects.filter(job_id=job_id).exists()
    else:
        assert 'id="job-live"' in text and 'id="files"' in text
        check_job_text(case, text, job_id)
        if case.kind == "huge_files":
            assert len(response.content) < HUGE_PAGE_BYTES, len(response.content)


def page_with_snapshot(case: Case) -> None:
    job_id, before = case.seen_job()
    case.inject()
    limit = HUGE_PAGE if case.kind == "huge_files" else DEADLINE + MARGIN
    response = case.get(case.job_url(job_id), limit=limit)
    assert response.status_code == 200
    text = assert_clean(response.content.decode())
    assert job_id in text and 'id="files"' in text and 'id="raw"' in text
    after = JobSnapshot.objects.get(pk=before.pk)
    if case.expect.fails:
        assert_message(text, case)
        assert PROBE_NAME in text and "Stale since" in text and "TRANSFERRING" in text
        assert (after.raw_json, after.fetched_at) == (before.raw_json, before.fetched_at)
    else:
        assert "Stale since" not in text
        assert after.fetched_at > before.fetched_at
        check_job_text(case, text, job_id)


def live_without_snapshot(case: Case) -> None:
    job_id = case.new_job()
    case.inject()
    limit = HUGE_PAGE if case.kind == "huge_files" else DEADLINE + MARGIN
    response = case.get(
        case.job_url(job_id), {"seen": "TRANSFERRING", "errors": "1"}, limit, **LIVE
    )
    assert response.status_code == 200
    text = assert_clean(response.content.decode())
    assert text.lstrip().startswith('<section id="job-live"') and "<html" not in text
    if case.expect.fails:
        assert_message(text, case)
        assert "Retrying automatically." in text and 'data-poll-errors="2"' in text
    else:
        assert 'data-poll-errors="0"' in text


def live_with_snapshot(case: Case) -> None:
    job_id, before = case.seen_job()
    case.inject()
    limit = HUGE_PAGE if case.kind == "huge_files" else DEADLINE + MARGIN
    response = case.get(case.job_url(job_id), {"seen": "TRANSFERRING"}, limit, **LIVE)
    assert response.status_code == 200
    text = assert_clean(response.content.decode())
    assert text.lstrip().startswith('<section id="job-live"')
    if case.expect.fails:
        assert_message(text, case)
        assert "Stale since" in text and PROBE_NAME in text
        assert JobSnapshot.objects.get(pk=before.pk).raw_json == before.raw_json
    else:
        assert "Stale since" not in text
        check_job_text(case, text, job_id)


def error_log_download(case: Case) -> None:
    job_id = case.new_job()
    case.inject()
    limit = HUGE_PAGE if case.kind == "huge_files" else DEADLINE + MARGIN
    response = case.get(case.job_url(job_id) + "error-log.txt", limit=limit)
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    for marker in FORBIDDEN:
        assert marker not in text
    if case.expect.fails:
        assert response.status_code == 503
        assert_message(text, case)
    else:
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        if case.kind == "huge_body":
            assert len(text) >= faults.DEFAULT_HUGE_BODY_BYTES  # the whole log, for a ticket


def lookup(case: Case) -> None:
    """A job id the mirror does not know: the lookup asks the tenant's DRS."""
    job_id = case.new_job()
    case.inject()
    limit = HUGE_PAGE if case.kind == "huge_files" else DEADLINE + MARGIN
    response = case.get("/jobs/lookup/", {"q": f"see job {job_id} please"}, limit)
    if case.expect.fails:
        assert response.status_code == 404
        text = assert_clean(response.content.decode())
        assert_message(text, case)
        assert case.tenant.name in text  # which tenant could not be asked
    else:
        assert response.status_code == 302, response.status_code
        assert response["Location"] == case.job_url(job_id)
    # What the lookup stored is usable: only valid ids in the mirror, and the pages render.
    ids = MirroredJob.objects.filter(tenant=case.tenant).values_list("job_id", flat=True)
    assert all(JOB_ID.fullmatch(i) for i in ids), [i for i in ids if not JOB_ID.fullmatch(i)]
    case.simulator.clear_faults()
    for path in (f"/tenants/{case.tenant.slug}/jobs/", "/"):
        assert_clean(case.get(path).content.decode())


def fleet_pages(case: Case) -> None:
    """A sync under the fault, then every page and export that reads the mirror."""
    for _ in range(SYNC_DETAILS):  # they end between the syncs: details fetched under the fault
        case.simulator.add_live_job(1.0, "SUCCESS")
    assert sync_tenant(case.tenant, full=True).ok
    time.sleep(1.5)
    kept = set(MirroredJob.objects.filter(tenant=case.tenant).values_list("job_id", flat=True))
    case.inject()
    limit = HUGE_SYNC if case.kind == "huge_files" else SYNC_LIMIT
    result = timed(lambda: sync_tenant(case.tenant, full=True), limit)
    state = TenantSyncState.objects.get(tenant=case.tenant)
    sync_message = case.expect.message or case.expect.sync_message
    assert result.ok is not bool(sync_message), result
    now = set(MirroredJob.objects.filter(tenant=case.tenant).values_list("job_id", flat=True))
    assert kept <= now, "the last-known data is kept"
    assert all(JOB_ID.fullmatch(i) for i in now), [i for i in now if not JOB_ID.fullmatch(i)]
    if sync_message:  # recorded, and shown on every page below
        assert state.failing_since is not None
        assert sync_message in state.error
    if case.kind == "bad_ids":
        assert "skipped" in state.last_note, state.last_note  # a visible count

    slug = case.tenant.slug
    pages = {
        "list": case.get(f"/tenants/{slug}/jobs/"),
        "list fragment": case.get(f"/tenants/{slug}/jobs/", {"status": ""}, **TABLE),
        "overview": case.get("/"),
        "failures": case.get("/failures/", {"days": 0}),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        text = " ".join(assert_clean(response.content.decode()).split())
        if sync_message:
            assert sync_message in text, name
        if sync_message and name in ("overview", "failures"):
            assert f"Sync of {case.tenant.name} is failing" in text
        if case.kind == "bad_ids" and name.startswith("list"):
            assert "without a usable job id were skipped" in text, name

    incomplete = bool(sync_message)
    csv_text = body(case.get(f"/tenants/{slug}/jobs/", {"format": "csv"}))
    assert_clean(csv_text)
    assert csv_text.startswith("id,")
    assert ("# export incomplete" in csv_text) is incomplete, csv_text[-300:]
    data = json.loads(body(case.get(f"/tenants/{slug}/jobs/", {"format": "json"})))
    assert data["complete"] is not incomplete and bool(data["problem"]) is incomplete
    assert kept <= {job["id"] for job in data["jobs"]} or len(data["jobs"]) >= 10_000
    failures_csv = body(case.get("/failures/", {"days": 0, "format": "csv"}))
    assert failures_csv.startswith("signature,tenant,")
    assert ("# export incomplete" in failures_csv) is incomplete
    failures_json = json.loads(body(case.get("/failures/", {"days": 0, "format": "json"})))
    assert failures_json["complete"] is not incomplete


def _cli(case: Case, command: str, *args: str) -> str:
    """The command's stdout; a failing kind must exit 2 with the plain sentence."""
    out, err = io.StringIO(), io.StringIO()
    limit = Work(HUGE_PAGE_SECONDS * 2) if case.kind == "huge_files" else DEADLINE + MARGIN
    if not case.expect.fails:
        timed(lambda: call_command(command, *args, stdout=out, stderr=err), limit)
        text = out.getvalue() + err.getvalue()
    else:
        with pytest.raises(CommandError) as raised:
            timed(lambda: call_command(command, *args, stdout=out, stderr=err), limit)
        assert raised.value.returncode == 2
        text = str(raised.value) + out.getvalue() + err.getvalue()
        assert_message(text, case)
    for marker in FORBIDDEN:
        assert marker not in text
    assert safe(text, keep="\n") == text, "raw control characters reach the terminal"
    return out.getvalue()


def cli_show(case: Case) -> None:
    job_id = case.new_job()
    case.inject()
    out = _cli(case, "jobs", "show", case.tenant.slug, job_id)
    if not case.expect.fails:
        assert "Job id:" in out
        data = json.loads(_cli(case, "jobs", "show", case.tenant.slug, job_id, "--json"))
        assert data["id"]


def cli_list(case: Case) -> None:
    case.inject()
    out = _cli(case, "jobs", "list", case.tenant.slug, "--limit", "20")
    if not case.expect.fails:
        assert " jobs" in out.splitlines()[-1]
        data = json.loads(_cli(case, "jobs", "list", case.tenant.slug, "--limit", "20", "--json"))
        assert isinstance(data["jobs"], list)
        if case.kind == "bad_ids":
            assert "skipped" in out  # a visible count


def cli_tenant_test(case: Case) -> None:
    case.inject()
    out = _cli(case, "tenant", "test", case.tenant.slug)
    if not case.expect.fails:
        assert out.startswith("Connected:")


SURFACES = {
    fn.__name__: fn
    for fn in (
        page_without_snapshot,
        page_with_snapshot,
        live_without_snapshot,
        live_with_snapshot,
        error_log_download,
        lookup,
        fleet_pages,
        cli_show,
        cli_list,
        cli_tenant_test,
    )
}


@pytest.mark.parametrize("surface", list(SURFACES))
@pytest.mark.parametrize("kind", list(EXPECTED))
def test_hostile_on_surface(kind, surface, fast, request, login, people, tenant, simulator):
    case = _case(kind, request, login, people, tenant, simulator)
    SURFACES[surface](case)
    if kind == "redirect_internal":
        assert _Trap.hits == [], "a redirect to an internal host was followed"


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Pacific/Pago_Pago", "UTC"])
def test_edge_dates_in_zone(zone, fast, request, login, people, tenant, simulator):
    """Year 1 shifted west of UTC and year 9999 shifted east both overflow a naive renderer."""
    case = _case("edge_dates", request, login, people, tenant, simulator, zone)
    page_with_snapshot(case)
    fleet_pages(case)


def test_trickle_on_a_signed_tenant(fast, request, make_tenant, people, login, simulator):
    """The deadline holds for AK/SK-signed requests too."""
    keys = make_tenant("Keys", auth="aksk")
    people["viewer"].memberships.create(tenant=keys, role="viewer")
    case = _case("trickle", request, login, people, keys, simulator)
    page_without_snapshot(case)


def test_waiters_do_not_wait_for_a_trickling_holder(
    fast, request, login, people, tenant, simulator
):
    """While one request's fetch trickles, others for the same job show the last snapshot
    within WAIT_FOR_HOLDER_SECONDS instead of each holding a server thread until the deadline
    (found by `make soak`'s trickle run: /healthz waited 13 s)."""
    from jobs.drs import UpstreamUnavailable
    from jobs.job_page import state as job_state
    from jobs.upstream.single_flight import WaitedTooLong, single_flight

    case = _case("trickle", request, login, people, tenant, simulator)
    job_id, _before = case.seen_job()
    key = job_state.shared_key(tenant, job_id, "en-us")

    def trickling_fetch():  # outlives the waiters' patience, then fails as a trickle does
        time.sleep(job_state.WAIT_FOR_HOLDER_SECONDS + 3)
        raise UpstreamUnavailable("Timed out after 6.0s: the call's deadline passed")

    holder = threading.Thread(
        target=single_flight, args=(key, 5, trickling_fetch), kwargs={"lock_seconds": 10}
    )
    holder.start()
    time.sleep(0.2)
    try:
        waited = timed(
            lambda: single_flight(key, 5, lambda: None, lock_seconds=10, wait_seconds=0.3), 1.5
        )
        assert isinstance(waited.error, WaitedTooLong)
        response = case.get(case.job_url(job_id), limit=job_state.WAIT_FOR_HOLDER_SECONDS + 1.5)
        text = assert_clean(response.content.decode())
        assert response.status_code == 200 and "Stale since" in text and PROBE_NAME in text
    finally:
        holder.join()
