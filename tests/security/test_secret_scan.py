"""No tenant secret and no IAM token ever leaves the encrypted columns.

The demo tenants hold the simulator's IAM password and secret key. A tour of every page, fragment,
export and download (as the superuser and as each role), the failing and working connection
tests, an upstream authentication failure, and the CLI, with every logger at DEBUG. Then the
secrets, and every IAM token the simulator issued, are looked for in every response body and
header, every requested or redirected URL, every log record, the audit table and every column
of every table.
"""

from __future__ import annotations

import io
import logging
import re
import secrets
from dataclasses import dataclass, field

import pytest
import requests.adapters
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client, override_settings

from jobs.drs import DrsClient, PasswordCredentials
from jobs.drs.auth import TOKENS
from jobs.notify.models import Channel
from jobs.simulator import SimulatorConfig
from jobs.tenants.models import AuditEvent, Membership, Tenant
from jobs.upstream.iam_tokens import SHARED_TOKENS
from tests.conftest import tenant_form
from tests.security.support import database_text, expand, routes
from tests.support import EXAMPLE_ID, LIVE, TABLE

pytestmark = pytest.mark.django_db

DEMO = SimulatorConfig()  # `manage.py demo` takes its secrets from the default configuration
DOMAIN, IAM_USER, IAM_PASSWORD = DEMO.iam_users[0]
ACCESS_KEY, SECRET_KEY = next(iter(DEMO.access_keys.items()))
# Secrets typed into forms during the tour (wrong ones: the connection test must fail).
WRONG_PASSWORD = "Wrong-pw-" + secrets.token_urlsafe(12)
WRONG_SECRET_KEY = "wrongSK" + secrets.token_hex(16)
CHANNEL_SECRET = "chanSecret" + secrets.token_hex(12)
TOKEN_SHAPE = re.compile(r"MII[A-Za-z0-9_-]{1000,}")  # as IAM issues them: thousands of chars
PEOPLE = ("demo", "viewer", "operator", "admin")  # `demo` is the superuser


@dataclass
class Seen:
    """Everything the tour produced that someone other than the database could read."""

    texts: list[tuple[str, str]] = field(default_factory=list)  # (where, text)
    urls: list[str] = field(default_factory=list)
    requests: int = 0

    def get(self, client: Client, who: str, url: str, data=None, **extra):
        return self._record(who, client.get(url, data, **extra))

    def post(self, client: Client, who: str, url: str, data, **extra):
        return self._record(who, client.post(url, data, **extra))

    def _record(self, who: str, response):
        self.requests += 1
        query = response.request.get("QUERY_STRING", "")
        url = response.request["PATH_INFO"] + (f"?{query}" if query else "")
        self.urls.append(url)
        if "Location" in response:
            self.urls.append(response["Location"])
        headers = "\n".join(f"{name}: {value}" for name, value in response.items())
        self.texts.append((f"{who} {url} headers", headers + "\n" + response.cookies.output()))
        body = b"".join(response.streaming_content) if response.streaming else response.content
        self.texts.append((f"{who} {url} body", body.decode("utf-8", "replace")))
        return response, body.decode("utf-8", "replace")

    def cli(self, *args: str) -> str:
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command(*args, stdout=out, stderr=err, verbosity=2)
        except CommandError as error:
            err.write(f"CommandError({error.returncode}): {error}")
        self.texts.append((f"manage.py {' '.join(args)}", out.getvalue() + err.getvalue()))
        return out.getvalue() + err.getvalue()

    def has(self, words: str) -> bool:
        return any(words in text for _, text in self.texts)


def iam_token(simulator) -> str:
    """The token the dashboard is using now: the process-wide token cache is keyed by endpoint,
    user, password and project, so this client shares the dashboard's entry."""
    client = DrsClient.with_password(
        project_id=DEMO.project_id,
        drs_endpoint=simulator.url,
        iam_endpoint=simulator.url,
        credentials=PasswordCredentials(DOMAIN, IAM_USER, IAM_PASSWORD),
    )
    return client.auth.token()


@pytest.fixture
def debug_logs(caplog):
    """Every logger at DEBUG, SQL included (the records carry the query parameters)."""
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    forced = connection.force_debug_cursor
    connection.force_debug_cursor = True
    yield caplog
    connection.force_debug_cursor = forced


def record_text(record: logging.LogRecord) -> str:
    parts = [record.getMessage(), repr(record.args), repr(vars(record))]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


def force_internal_errors(monkeypatch, path_part: str) -> None:
    """Outbound requests whose URL holds `path_part` raise a non-DRS error (a bug, a 500)."""
    real = requests.adapters.HTTPAdapter.send

    def send(self, request, **kwargs):
        if path_part in request.url:
            raise RuntimeError("forced internal failure")
        return real(self, request, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_no_secret_or_token_anywhere(simulator, debug_logs, settings, monkeypatch, debug):
    """With DEBUG on, Django's debug pages (404s, and 500s from forced internal errors during
    IAM and DRS calls) are part of the tour."""
    settings.DEBUG = debug
    call_command("demo", simulator_url=simulator.url, stdout=io.StringIO())
    tenants = {t.slug: t for t in Tenant.objects.all()}
    assert set(tenants) == {"demo-token", "demo-aksk"}
    assert tenants["demo-token"].password == IAM_PASSWORD
    assert tenants["demo-aksk"].secret_key == SECRET_KEY
    users = {u.username: u for u in get_user_model().objects.all()}
    members = {
        slug: Membership.objects.get(tenant=tenant, user=users["viewer"]).pk
        for slug, tenant in tenants.items()
    }
    failed_id = next(
        i
        for i in simulator.store.ids()
        if str(simulator.store.get(i)["status"]).upper() == "FAILED"
        and simulator.store.get(i)["error_log"]
    )
    live_id = simulator.add_live_job(600, name="secret-scan-live")
    job_ids = (EXAMPLE_ID, failed_id, live_id)
    seen = Seen()
    tokens: set[str] = set()

    for who in PEOPLE:
        client = Client()
        client.force_login(users[who])
        for route, _name in routes():
            for url in expand(route, tenants, job_ids, members):
                seen.get(client, who, url)
        if not tokens:
            tokens.add(iam_token(simulator))  # the pages above made the dashboard fetch one
        for slug in tenants:
            jobs = f"/tenants/{slug}/jobs/"
            seen.get(client, who, f"{jobs}{live_id}/", {"seen": "TRANSFERRING"}, **LIVE)
            seen.get(client, who, jobs, {"status": "FAILED"}, **TABLE)
            for export in ("csv", "json"):
                seen.get(client, who, jobs, {"format": export})
            seen.get(client, who, f"{jobs}{failed_id}/error-log.txt")
            pasted = f"https://console.example.com/drs/#/jobs/{failed_id}?region=x"
            seen.get(client, who, "/jobs/lookup/", {"tenant": slug, "q": pasted})
            seen.get(client, who, "/jobs/lookup/", {"tenant": slug, "q": "no id in here"})
        for export in ("csv", "json"):
            seen.get(client, who, "/failures/", {"days": 0, "format": export})

    # Connection tests with wrong secrets typed in (they fail), then with the stored ones.
    for who in ("demo", "admin"):
        client = Client()
        client.force_login(users[who])
        token, keys = tenants["demo-token"], tenants["demo-aksk"]
        url = "/tenants/{}/test-connection/"
        _, failed = seen.post(
            client, who, url.format(token.slug), tenant_form(token, password=WRONG_PASSWORD)
        )
        assert "✖" in failed, failed
        _, failed = seen.post(
            client, who, url.format(keys.slug), tenant_form(keys, secret_key=WRONG_SECRET_KEY)
        )
        assert "✖" in failed, failed
        for tenant in (token, keys):
            _, works = seen.post(client, who, url.format(tenant.slug), tenant_form(tenant))
            assert "Connected" in works, works
        # A form with errors must not echo the secret typed into it.
        invalid = tenant_form(token, name="", password=WRONG_PASSWORD)
        response, _ = seen.post(client, who, f"/tenants/{token.slug}/edit/", invalid)
        assert response.status_code == 400  # invalid forms answer 400

    # The superuser adds a tenant through the form, with a real secret, and tests a new one.
    root = Client()
    root.force_login(users["demo"])
    new = tenant_form(tenants["demo-aksk"], name="Scan copy", secret_key=SECRET_KEY)
    response, _ = seen.post(root, "demo", "/tenants/new/", new)
    assert response.status_code == 302
    seen.get(root, "demo", response["Location"])
    typed = tenant_form(tenants["demo-token"], name="Scan new", password=WRONG_PASSWORD)
    _, failed = seen.post(root, "demo", "/tenants/new/test-connection/", typed)
    assert "✖" in failed

    # An upstream authentication failure: DRS refuses the token, on the page, the fragment,
    # the CLI and the connection test.
    refused_id = simulator.add_live_job(600)
    simulator.set_fault("expired_token")
    viewer = Client()
    viewer.force_login(users["viewer"])
    response, page = seen.get(viewer, "viewer", f"/tenants/demo-token/jobs/{refused_id}/")
    assert response.status_code == 502 and "refused the credentials" in page
    seen.get(viewer, "viewer", f"/tenants/demo-token/jobs/{refused_id}/", {"seen": "x"}, **LIVE)
    assert "refused the credentials" in seen.cli("jobs", "show", "demo-token", refused_id)
    seen.cli("tenant", "test", "demo-token")
    simulator.clear_faults()

    for slug in tenants:
        seen.cli("jobs", "show", slug, EXAMPLE_ID, "--json")
        seen.cli("jobs", "show", slug, failed_id, "--json")
        seen.cli("jobs", "list", slug, "--json")
    seen.cli("tenant", "list")
    tokens.add(iam_token(simulator))  # the one fetched after the refused one

    # A notification channel whose URL holds a secret: added through the form, listed, tested
    # (the target refuses the connection), and its delivery log read.
    with override_settings(NOTIFY_ALLOW_PRIVATE_TARGETS=True, NOTIFY_TIMEOUT=1):
        hook = {
            "name": "scan",
            "url": f"json://127.0.0.1:9/h?token={CHANNEL_SECRET}",
            "language": "en",
        }
        seen.post(root, "demo", "/tenants/demo-aksk/notifications/channels/", hook)
        seen.get(root, "demo", "/tenants/demo-aksk/notifications/")
        channel = Channel.objects.get(name="scan")
        seen.post(root, "demo", f"/tenants/demo-aksk/notifications/channels/{channel.pk}/test/", {})
        seen.get(root, "demo", "/tenants/demo-aksk/notifications/deliveries/")
        seen.cli("notify", "list", "demo-aksk")

    if debug:  # internal errors mid-call show the debug page, to a viewer and to an admin
        crashing = {  # each demo tenant reads its own simulator project
            slug: simulator.add_live_job(600, project_id=tenant.project_id)
            for slug, tenant in tenants.items()
        }
        for who, path_part in (("viewer", "backup-migration-jobs"), ("admin", "/v3/auth/tokens")):
            client = Client(raise_request_exception=False)
            client.force_login(users[who])
            with monkeypatch.context() as patch:
                force_internal_errors(patch, path_part)
                if path_part == "/v3/auth/tokens":  # no token anywhere: the page must log in
                    TOKENS.clear()
                    SHARED_TOKENS.clear()
                    cache.clear()
                for slug, tenant in tenants.items():
                    page = f"/tenants/{slug}/jobs/{crashing[slug]}/"
                    response, _ = seen.get(client, who, page, {"refresh": "1"})
                    crashes = who == "viewer" or slug == "demo-token"
                    assert response.status_code == (500 if crashes else 200)
                    if who == "admin":
                        typed = {"password": WRONG_PASSWORD, "secret_key": WRONG_SECRET_KEY}
                        url = f"/tenants/{slug}/test-connection/"
                        response, _ = seen.post(client, who, url, tenant_form(tenant, **typed))
                        assert response.status_code == (500 if slug == "demo-token" else 200)
        TOKENS.clear()  # the forced failure is remembered for a few seconds
        tokens.add(iam_token(simulator))
        assert seen.has("forced internal failure") and seen.has("Local vars")

    # -- the scan -------------------------------------------------------------------------
    assert all(TOKEN_SHAPE.fullmatch(token) for token in tokens), "token capture failed"
    needles = {
        "the IAM password": IAM_PASSWORD,
        "the secret key": SECRET_KEY,
        "the secret key but its last 4": SECRET_KEY[:-4],
        "a typed wrong password": WRONG_PASSWORD,
        "a typed wrong secret key": WRONG_SECRET_KEY,
        "a notification channel's URL secret": CHANNEL_SECRET,
        **{f"IAM token …{token[-6:]}": token for token in tokens},
    }
    logs = [(f"log {r.name} {r.levelname}", record_text(r)) for r in debug_logs.records]
    audit = [("audit table", repr(list(AuditEvent.objects.values())))]
    urls = [("requested or redirected URL", url) for url in seen.urls]
    outbound = [("outbound DRS/IAM path", path) for path in simulator.state()["calls_by_path"]]
    database = [("database", database_text())]
    haystacks = [*seen.texts, *logs, *audit, *urls, *outbound, *database]

    leaks = [
        f"{label} in {where}"
        for where, text in haystacks
        for label, needle in needles.items()
        if needle in text
    ]
    leaks += [
        f"a token-shaped string in {where}" for where, text in haystacks if TOKEN_SHAPE.search(text)
    ]
    assert leaks == []

    # The scan saw what it should have (no vacuous pass).
    assert seen.requests > 150
    assert seen.has("IAM or DRS refused the credentials")
    assert seen.has("Connected: ") and seen.has("Scan copy")
    assert any(r.name == "jobs.drs.client" for r in debug_logs.records)
    assert any(r.name == "django.db.backends" for r in debug_logs.records)  # SQL, with params
    assert any(r.name.startswith("urllib3") for r in debug_logs.records)  # outbound URLs
    assert any("?" in url for url in seen.urls)
    assert tenants["demo-token"].password_encrypted in database[0][1]
    assert AuditEvent.objects.filter(action="connection_tested").count() >= 6
    assert AuditEvent.objects.filter(action="credentials_changed").exists()
