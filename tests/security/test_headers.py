"""Security headers on every page, no inline script or style anywhere, a clean deploy check.

Pages: every GET route as the superuser, the fragments, the error pages (404, 403, the CSRF
failure, a DRS failure page), and the sign-in page. Templates are scanned as files too, so a
branch the tour did not render cannot hide an inline handler.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import string
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.test import Client

from jobs.tenants.models import Membership
from tests.security.support import expand, routes
from tests.support import EXAMPLE_ID, LIVE, TABLE

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
CSRF_PAGE = "CSRF failure (403)"
UNSAFE = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "'strict-dynamic'")


class InlineCode(HTMLParser):
    """Collects what a strict CSP would block or what would need 'unsafe-inline'."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script":
            self._in_script = True
            if "src" not in names:
                self.problems.append(f"<script> without src at line {self.getpos()[0]}")
        if tag == "style":
            self.problems.append(f"<style> element at line {self.getpos()[0]}")
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"style= on <{tag}> at line {self.getpos()[0]}")
            if name.startswith("on") or name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"{name}= handler on <{tag}> at line {self.getpos()[0]}")
            if (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in {name}= at line {self.getpos()[0]}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"script content at line {self.getpos()[0]}")


def inline_code(markup: str) -> list[str]:
    parser = InlineCode()
    parser.feed(markup)
    parser.close()
    return parser.problems


TEMPLATE_SYNTAX = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", re.DOTALL)


def template_files() -> list[Path]:
    dirs = [Path(d) for engine in django_settings.TEMPLATES for d in engine.get("DIRS", [])]
    assert TEMPLATES in dirs
    return sorted(p for d in dirs for p in d.rglob("*") if p.is_file())


@pytest.mark.parametrize("path", template_files(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_template_has_no_inline_script_style_or_handler(path):
    text = path.read_text()
    # Django's tags could hide or fake attributes: drop them, then read the markup as HTML.
    assert inline_code(TEMPLATE_SYNTAX.sub(" ", text)) == []
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text, re.IGNORECASE)
    assert not re.search(r"""\sstyle\s*=\s*["'{]""", text, re.IGNORECASE)
    assert not re.search(r"""\son[a-z]+\s*=\s*["'{]""", text, re.IGNORECASE)


def test_the_scanner_catches_what_it_should():
    bad = (
        '<script>alert(1)</script><p style="color:red" onclick="x()">'
        '<a href="javascript:x()">x</a><style>p{}</style><div hx-on:click="x()"></div>'
    )
    assert len(inline_code(bad)) == 7
    assert inline_code('<script src="/static/js/app.js" defer></script>') == []


# -- headers on every page -------------------------------------------------------------------


def csp_directives(value: str) -> dict[str, list[str]]:
    directives = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def pages(tenant, people, simulator) -> list[tuple[str, object]]:
    """(label, response) for every kind of page and fragment a browser can get."""
    responses = []
    root = Client()
    root.force_login(people["root"])
    member = Membership.objects.get(user=people["viewer"], tenant=tenant).pk
    live_id = simulator.add_live_job(600)
    for route, name in routes():
        for url in expand(route, [tenant.slug], [EXAMPLE_ID, live_id], {tenant.slug: member}):
            responses.append((f"{name} {url}", root.get(url)))
    jobs = f"/tenants/{tenant.slug}/jobs/"
    responses += [
        ("live fragment", root.get(f"{jobs}{live_id}/", {"seen": "TRANSFERRING"}, **LIVE)),
        ("list fragment", root.get(jobs, {"status": "FAILED"}, **TABLE)),
        ("list with a bad filter (400)", root.get(jobs, {"status": "DONE"})),
        ("lookup without an id (400)", root.get("/jobs/lookup/", {"q": "nothing"})),
        ("job DRS does not have (404)", root.get(f"{jobs}00000000-0000-0000-0000-000000000000/")),
        ("unknown tenant (404)", root.get("/tenants/no-such-tenant/")),
        ("unknown URL (404)", root.get("/no/such/page/")),
    ]
    viewer = Client()
    viewer.force_login(people["viewer"])
    responses.append(("below the role (403)", viewer.get(f"/tenants/{tenant.slug}/edit/")))
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(people["root"])
    responses.append((CSRF_PAGE, strict.post(f"/tenants/{tenant.slug}/delete/")))
    anonymous = Client()
    responses.append(("sign-in page", anonymous.get("/accounts/login/")))
    responses.append(
        ("failed sign-in", anonymous.post("/accounts/login/", {"username": "x", "password": "y"}))
    )
    failing_id = simulator.add_live_job(600)
    simulator.set_fault("http_503", target=failing_id)
    responses.append(("DRS failure page (503)", root.get(f"{jobs}{failing_id}/")))
    simulator.clear_faults()
    return responses


@pytest.mark.django_db
def test_every_page_has_the_security_headers_and_no_inline_code(
    tenant, people, simulator, settings
):
    settings.DRS_DEADLINE = 1
    problems = []
    html_pages = 0
    statuses = set()
    for label, response in pages(tenant, people, simulator):
        statuses.add(response.status_code)
        if response.get("X-Content-Type-Options") != "nosniff":
            problems.append(f"{label}: X-Content-Type-Options")
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        html_pages += 1
        csp = response.get("Content-Security-Policy", "")
        directives = csp_directives(csp)
        if directives.get("script-src") != ["'self'"]:
            problems.append(f"{label}: script-src is {directives.get('script-src')}")
        if directives.get("style-src") != ["'self'"]:
            problems.append(f"{label}: style-src is {directives.get('style-src')}")
        if directives.get("frame-ancestors") != ["'none'"]:
            problems.append(f"{label}: frame-ancestors is {directives.get('frame-ancestors')}")
        if directives.get("object-src") != ["'none'"]:
            problems.append(f"{label}: object-src is {directives.get('object-src')}")
        problems += [f"{label}: CSP allows {word}" for word in UNSAFE if word in csp]
        for header, value in (
            ("X-Frame-Options", "DENY"),
            ("Referrer-Policy", "same-origin"),
            ("Cross-Origin-Opener-Policy", "same-origin"),
        ):
            if response.get(header) != value:
                problems.append(f"{label}: {header} is {response.get(header)!r}")
        if label != CSRF_PAGE:  # see test_csrf_failure_page_has_no_inline_style
            body = response.content.decode()
            problems += [f"{label}: {problem}" for problem in inline_code(body)]
    assert problems == []
    assert html_pages >= 25
    assert statuses >= {200, 400, 403, 404, 405, 503}


@pytest.mark.django_db
def test_csrf_failure_page_has_no_inline_style(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["root"])
    response = client.post("/accounts/preferences/", {"time_zone": "UTC"})
    assert response.status_code == 403
    assert inline_code(response.content.decode()) == []


# -- production settings ---------------------------------------------------------------------


def production_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DRS_"))}
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    env.update(
        DJANGO_SETTINGS_MODULE="dashboard.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="".join(secrets.choice(alphabet) for _ in range(50)),
        DASHBOARD_CREDENTIAL_KEYS=Fernet.generate_key().decode(),
        DJANGO_ALLOWED_HOSTS="dash.example.com",
        PYTHONWARNINGS="ignore",
    )
    return env


def manage(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


PROBE = """
import json
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings
from tests.support import LIVE, TABLE
from tests.support import EXAMPLE_ID

facts = {name: getattr(settings, name) for name in (
    "DEBUG", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "DRS_ALLOW_CUSTOM_ENDPOINTS", "X_FRAME_OPTIONS", "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY")}
# Rendering needs no collectstatic for this: plain static storage, everything else as deployed.
plain = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=plain):
    client = Client(HTTP_HOST="dash.example.com")
    https = client.get("/accounts/login/", secure=True)
    http = client.get("/accounts/login/")
    bad_host = Client(HTTP_HOST="evil.example").get("/healthz", secure=True)
csrf = https.cookies.get("csrftoken")
facts.update(
    https_status=https.status_code,
    hsts=https.get("Strict-Transport-Security"),
    csrf_cookie_secure=bool(csrf and csrf["secure"]),
    csp=https.get("Content-Security-Policy"),
    http_status=http.status_code,
    http_location=http.get("Location"),
    bad_host_status=bad_host.status_code,
)
print("FACTS" + json.dumps(facts))
"""


def test_production_cookies_hsts_and_https_redirect():
    result = manage("shell", "--no-imports", "-c", PROBE)
    assert result.returncode == 0, result.stdout + result.stderr
    facts = json.loads(result.stdout.split("FACTS", 1)[1])
    assert facts["DEBUG"] is False
    assert facts["SESSION_COOKIE_SECURE"] is True and facts["SESSION_COOKIE_HTTPONLY"] is True
    assert facts["CSRF_COOKIE_SECURE"] is True
    assert facts["SECURE_SSL_REDIRECT"] is True
    assert facts["SECURE_HSTS_SECONDS"] >= 31536000 and facts["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert facts["DRS_ALLOW_CUSTOM_ENDPOINTS"] is False  # no calls to internal addresses
    assert facts["X_FRAME_OPTIONS"] == "DENY" and facts["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert facts["SECURE_REFERRER_POLICY"] == "same-origin"
    assert facts["https_status"] == 200
    assert facts["hsts"] == "max-age=31536000; includeSubDomains"
    assert facts["csrf_cookie_secure"] is True
    assert "script-src 'self'" in facts["csp"]
    assert facts["http_status"] == 301
    assert facts["http_location"] == "https://dash.example.com/accounts/login/"
    assert facts["bad_host_status"] == 400
