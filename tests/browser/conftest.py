"""Browser tests: real headless Chromium (Debian's /usr/bin/chromium) against pytest-django's live_server.

Run them alone with `.venv/bin/python -m pytest tests/browser -q` (or `-m browser`); `make test` runs them too.
Without /usr/bin/chromium they skip locally and fail under CI=true (`apt-get install chromium`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, sync_playwright

from jobs.simulator import Simulator
from tests.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
CSP_MARKERS = ("Content Security Policy", "Refused to")
TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    folder = Path(__file__).parent
    for item in items:
        if folder in item.path.parents:
            item.add_marker(pytest.mark.browser)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="package")
def simulator_server(simulator_config):
    """A simulator of the browser tests' own: the session's collects the live jobs earlier
    tests started, which would crowd the lists these tests read."""
    server = Simulator(simulator_config).start()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for the folder's tests.

    Package scope, not session: while Playwright runs, its asyncio loop counts as running in the
    main thread, so Django refuses ORM calls there unless DJANGO_ALLOW_ASYNC_UNSAFE is set. Both
    the loop and that bypass end with the browser tests and never reach the rest of the suite.
    """
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run does it in CI)"
        if _in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        playwright = sync_playwright().start()
        try:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield browser
            finally:
                browser.close()
        finally:
            playwright.stop()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Sign-in failure counters live in the cache; every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def page(browser: Browser, live_server, transactional_db) -> Iterator[Page]:
    """A fresh context per test. `page.problems` collects console errors/warnings and page errors.

    Teardown fails the test on any Content Security Policy violation or uncaught page error.
    """
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    page_errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            where = message.location.get("url", "")
            problems.append(f"{message.type}: {message.text} ({where})")

    def on_page_error(error: Error) -> None:
        text = f"pageerror: {error.name}: {error.message}"
        problems.append(text)
        page_errors.append(text)

    context.on("console", on_console)
    page = context.new_page()
    page.on("pageerror", on_page_error)
    page.problems = problems  # Page.console_messages() already exists in Playwright: no shadowing
    try:
        yield page
    finally:
        context.close()
    csp = [p for p in problems if any(marker in p for marker in CSP_MARKERS)]
    assert not csp, f"Content Security Policy violations: {csp}"
    assert not page_errors, f"uncaught errors in the page: {page_errors}"


@pytest.fixture
def signed_in_page(page: Page, live_server, people) -> Callable[[str], Page]:
    """signed_in_page("admin") → `page`, signed in through the real form, on the home page."""

    def sign_in(person: str) -> Page:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", people[person].get_username())
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        assert page.url == f"{live_server.url}/", f"sign-in as {person} ended on {page.url}"
        return page

    return sign_in


# -- the mirror: fleet pages show what the background sync has seen -----------------------------


@pytest.fixture
def sync(simulator) -> Callable[..., None]:
    """sync(tenant, ...) → each tenant synced once now, as the background sync would (real HTTP
    to the simulator); asserts each run succeeded unless `ok=False`."""
    from jobs.sync.tenant import sync_tenant

    def run(*tenants, ok: bool = True) -> None:
        for tenant in tenants:
            result = sync_tenant(tenant)
            assert result.ok is ok, f"sync of {tenant.slug}: {result}"

    return run


@pytest.fixture
def fast_refresh(monkeypatch) -> int:
    """Fleet pages poll every second instead of every 15 s (the live server runs in this
    process, and the view reads the module's constant on each request)."""
    from jobs.views import fleet

    monkeypatch.setattr(fleet, "REFRESH_SECONDS", 1)
    return 1


def wait_until(condition: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    """For state outside the browser (the simulator's clock), where `expect` cannot wait."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what or condition}"
        time.sleep(0.1)
