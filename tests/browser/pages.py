"""Every page of the product, for the checks that must hold on all of them (phone width,
axe-core, screenshots). `every_page` returns (name, path) pairs a superuser can open; the
sign-in page is visited signed out by the callers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page

from tests.support import MISSING_ID

FAILED_JOB = "restore-salesdb-missing"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"  # axe-core 4.14.1, from `npm pack axe-core`


@dataclass(frozen=True)
class Visit:
    name: str
    path: str


def every_page(tenant, simulator, running_id: str) -> list[Visit]:
    """Each page once, with content: a synced tenant, a failed job, a running job, a missing
    job, a lookup that finds nothing, a 404."""
    slug = tenant.slug
    failed = simulator.store.find(FAILED_JOB)["id"]
    return [
        Visit("overview", "/"),
        Visit("failures", "/failures/"),
        Visit("sync-status", "/sync/"),
        Visit("tenant-list", "/tenants/"),
        Visit("tenant-new", "/tenants/new/"),
        Visit("tenant-detail", f"/tenants/{slug}/"),
        Visit("tenant-edit", f"/tenants/{slug}/edit/"),
        Visit("tenant-members", f"/tenants/{slug}/members/"),
        Visit("job-list", f"/tenants/{slug}/jobs/"),
        Visit("job-list-page-2", f"/tenants/{slug}/jobs/?page=2"),
        Visit("job-failed", f"/tenants/{slug}/jobs/{failed}/"),
        Visit("job-running", f"/tenants/{slug}/jobs/{running_id}/"),
        Visit("job-missing", f"/tenants/{slug}/jobs/{MISSING_ID}/"),
        Visit("lookup-problem", "/jobs/lookup/?q=no+id+in+here"),
        Visit("tenant-search", "/jobs/lookup/tenants/?q=a"),
        Visit("migrations", "/migrations/?period=all"),
        Visit("tenant-migrations", f"/tenants/{slug}/migrations/"),
        Visit("audit-log", "/audit/"),
        Visit("notifications", "/notifications/"),
        Visit("tenant-notifications", f"/tenants/{slug}/notifications/"),
        Visit("deliveries", f"/tenants/{slug}/notifications/deliveries/"),
        Visit("preferences", "/accounts/preferences/"),
        Visit("account-email", "/accounts/email/"),
        Visit("people", "/people/"),
        Visit("password-reset", "/accounts/password_reset/"),
        Visit("api-tokens", "/accounts/tokens/"),
        Visit("tenant-tokens", f"/tenants/{slug}/tokens/"),
        Visit("password-change", "/accounts/password_change/"),
        Visit("password-changed", "/accounts/password_change/done/"),
        Visit("not-found", "/no-such-page/"),
    ]


def horizontal_overflow(page: Page) -> int:
    """How many pixels the page itself scrolls sideways (0: it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def wide_elements(page: Page) -> list[str]:
    """For the failure message: the outermost elements that stick out on the right."""
    return page.evaluate(
        """() => {
          const w = window.innerWidth, out = [];
          for (const el of document.querySelectorAll('body *')) {
            const r = el.getBoundingClientRect();
            if (r.right > w + 1 && !(el.parentElement && el.parentElement.getBoundingClientRect().right > w + 1))
              out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '') + ' ' + Math.round(r.right));
          }
          return out.slice(0, 8);
        }"""
    )


_AXE_SOURCE: list[str] = []


def _axe_source() -> str:
    if not _AXE_SOURCE:
        _AXE_SOURCE.append(AXE.read_text(encoding="utf-8"))
    return _AXE_SOURCE[0]


def axe_violations(page: Page, impacts=("serious", "critical")) -> list[str]:
    """Runs axe-core (vendored) and returns the serious and critical violations, readable.
    The source goes in through the DevTools protocol (`evaluate`), which the page's strict CSP
    does not govern; a <script> tag would be refused, and rightly."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source() + "\n;undefined")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    found = []
    for violation in result["violations"]:
        if violation["impact"] not in impacts:
            continue
        targets = [", ".join(map(str, node["target"])) for node in violation["nodes"][:4]]
        found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} → {targets}")
    return found
