"""What a new user trips over (issue 22), in Chromium at 1440 px and 390 px, light and dark,
English and Chinese: the demo's tenants apart, honest job pages, a failures page that scans,
one's own email address and the people page, messages that read well, the overview's finished
jobs, and axe-core on every page these changed."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import translation
from playwright.sync_api import Page, expect

from tests.browser.pages import axe_violations, horizontal_overflow, wide_elements
from tests.browser.test_fleet import finish
from tests.conftest import PASSWORD, ROLES

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
WIDTHS = {1440: DESKTOP, 390: PHONE}
COMBOS = [(w, s, lang) for w in WIDTHS for s in ("light", "dark") for lang in ("en", "zh-hans")]
PRECHECK = "precheck-version-2022"
INCREMENTAL = "erp-incre-cutover"  # all databases, and "Orders" named too; DBCC async


def tr(language: str, text: str, context: str | None = None) -> str:
    with translation.override(language):
        return translation.pgettext(context, text) if context else translation.gettext(text)


@pytest.fixture
def demo(tenant, make_tenant, people, simulator, simulator_config, sync, settings):
    """Two tenants as `make run` has them: each on its own simulator project."""
    settings.JOB_REFRESH_SECONDS = 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DASHBOARD_BASE_URL = "http://dash.test"
    erp = make_tenant(
        "Acme ERP", auth="aksk", project_id=simulator_config.extra_projects["ap-southeast-3_erp"]
    )
    for role in ROLES:
        people[role].memberships.create(tenant=erp, role=role)
    sync(tenant, erp)
    return tenant, erp


def sign_in(page: Page, live_server, username: str, language: str = "en") -> Page:
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {"name": "tz", "value": "Asia/Shanghai", "url": live_server.url},
            {"name": "django_language", "value": language, "url": live_server.url},
        ]
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.locator("form.login button[type=submit]").click()
    return page


def job_url(live_server, tenant, job_id: str) -> str:
    return f"{live_server.url}/tenants/{tenant.slug}/jobs/{job_id}/"


# -- every changed page, in every combination -----------------------------------------------------


@pytest.mark.parametrize(
    ("width", "scheme", "language"), COMBOS, ids=[f"{w}-{s}-{lang}" for w, s, lang in COMBOS]
)
def test_changed_pages_read_in_the_language_fit_and_pass_axe(
    page, live_server, demo, simulator, width, scheme, language
):
    tenant, _erp = demo
    page.set_viewport_size(WIDTHS[width])
    page.emulate_media(color_scheme=scheme)
    sign_in(page, live_server, "admin", language)
    running = simulator.add_live_job(900, "SUCCESS", name="overwrite-running", is_cover=True)
    precheck = simulator.store.find(PRECHECK)["id"]
    t = lambda text, context=None: tr(language, text, context)  # noqa: E731
    visits = [
        ("overview", "/", [t("Running now"), t("Finished in the last hour")]),
        (
            "failures",
            "/failures/?days=0",
            [t("Causes, most frequent first"), t("Jobs", "how many jobs"), t("1 day")],
        ),
        (
            "job-precheck",
            f"/tenants/{tenant.slug}/jobs/{precheck}/",
            [
                t("Unchanged — the pre-check failed before anything was restored."),
                t("Watch this migration"),  # the step failed; its database's migration goes on
            ],
        ),
        (
            "job-overwrite-running",
            f"/tenants/{tenant.slug}/jobs/{running}/",
            [
                t(
                    "Overwrite is on: DRS turns off the target's high availability (primary/standby) "
                    "while this job runs."
                )
            ],
        ),
        ("email", "/accounts/email/", [t("Email address")]),
        ("people", "/people/", [t("Invite someone"), t("Email a password reset")]),
        ("preferences", "/accounts/preferences/", [t("Account")]),
    ]
    problems = {}
    for name, path, texts in visits:
        page.goto(live_server.url + path)
        expect(page.locator("html")).to_have_attribute("lang", language)
        for text in texts:
            expect(page.locator("main")).to_contain_text(text)
        if (extra := horizontal_overflow(page)) > 0:
            problems[f"{name} overflow"] = (extra, wide_elements(page))
        if violations := axe_violations(page):
            problems[f"{name} axe"] = violations
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    for name, path, text in (
        ("login", "/accounts/login/", t("Forgot your password?")),
        ("password-reset", "/accounts/password_reset/", t("Send the link")),
    ):
        page.goto(live_server.url + path)
        expect(page.locator("main")).to_contain_text(text)
        if (extra := horizontal_overflow(page)) > 0:
            problems[f"{name} overflow"] = (extra, wide_elements(page))
        if violations := axe_violations(page):
            problems[f"{name} axe"] = violations
    assert not problems, problems


# -- each item, on a desktop in English (light) and on a phone in Chinese (dark) -----------------

VARIANTS = [(1440, "light", "en"), (390, "dark", "zh-hans")]
variants = pytest.mark.parametrize(
    ("width", "scheme", "language"), VARIANTS, ids=[f"{w}-{s}-{lang}" for w, s, lang in VARIANTS]
)


@pytest.fixture
def reader(page, live_server, demo, width, scheme, language):
    """reader(username) → the page, signed in, at this width, scheme and language."""

    def sign(username: str = "admin") -> Page:
        page.set_viewport_size(WIDTHS[width])
        page.emulate_media(color_scheme=scheme)
        return sign_in(page, live_server, username, language)

    sign.t = lambda text, context=None: tr(language, text, context)
    return sign


def fact(page: Page, scope: str, term: str):
    return (
        page.locator(f"{scope} dt")
        .filter(has_text=re.compile(f"^{re.escape(term)}$"))
        .locator("xpath=following-sibling::dd[1]")
    )


@variants
def test_1_the_demo_tenants_never_show_a_job_twice(
    reader, live_server, demo, simulator, simulator_config, sync
):
    tenant, erp = demo
    erp_project = simulator_config.extra_projects["ap-southeast-3_erp"]
    for project in (None, erp_project):  # the seed's live jobs end minutes into the session
        simulator.add_live_job(600, "SUCCESS", project_id=project)
    sync(tenant, erp)
    page = reader()
    page.goto(f"{live_server.url}/")
    links = page.locator("#running-table a[href*='/jobs/']").evaluate_all(
        "links => links.map(a => new URL(a.href).pathname)"
    )
    ids = [path.rstrip("/").rsplit("/", 1)[1] for path in links]
    assert ids and len(ids) == len(set(ids)), ids
    slugs = {path.split("/")[2] for path in links}
    assert slugs == {tenant.slug, erp.slug}  # live jobs in both, each under its own
    erp_job = simulator.store_for(erp_project).ids()[0]
    page.goto(f"{live_server.url}/jobs/lookup/?q={erp_job}")  # no "which tenant?"
    expect(page).to_have_url(job_url(live_server, erp, erp_job))


@variants
def test_2_job_pages_say_what_holds_for_that_job(reader, live_server, demo, simulator):
    page = reader()
    t = reader.t
    tenant, _erp = demo
    precheck = simulator.store.find(PRECHECK)["id"]
    page.goto(job_url(live_server, tenant, precheck))
    expect(page.locator("#db-state")).to_contain_text(
        t("Unchanged — the pre-check failed before anything was restored.")
    )
    expect(page.locator("#job-live .banner")).to_have_count(0)  # no overwrite or HA warning

    running = simulator.add_live_job(4, "FAILED", name="overwrite-soon-done", is_cover=True)
    page.goto(job_url(live_server, tenant, running))
    now = t(
        "Overwrite is on: DRS turns off the target's high availability (primary/standby) "
        "while this job runs."
    )
    expect(page.locator("#job-live .banner")).to_have_text([now])
    assert finish(simulator, running) == "FAILED"
    after = t(
        "This job overwrote the existing database: DRS turned off the target's high "
        "availability (primary/standby) while it ran. Check that it is on again."
    )
    expect(page.locator("#job-live .banner").first).to_have_text(after, timeout=15_000)
    expect(page.locator("#job-live")).not_to_contain_text(now)

    page.goto(job_url(live_server, tenant, simulator.store.find(INCREMENTAL)["id"]))
    expect(fact(page, "#options", t("Databases to restore"))).to_have_text(
        t("all databases in the backup")
    )
    expect(fact(page, "#options", t("Database names in the job"))).to_have_text("Orders")
    expect(fact(page, "#options", t("Consistency check (DBCC)"))).to_have_text(
        f"{t('asynchronous')} (async)"
    )
    expect(fact(page, "#target", t("FILESTREAM on the target"))).to_have_text(t("off"))
    expect(fact(page, "#files", t("Files"))).to_contain_text(re.compile(r"\d+\.\d GB"))
    first = page.locator("#files tbody tr").first.locator("td").nth(1)
    expect(first).to_have_text("45.0 GB")  # the total's form; DRS's own text on hover
    expect(first.locator("span")).to_have_attribute("title", f"{t('DRS says')} 45.0GB")


def add_unexplained_failures(simulator, sync, tenant, count: int) -> None:
    ids = [
        simulator.add_live_job(
            0,
            "FAILED",
            name=f"odd-{n}",
            error_log=f"Something no hint knows, variant {'xyzwvu'[n]}.",
        )
        for n in range(count)
    ]
    for job_id in ids:
        finish(simulator, job_id)
    sync(tenant)


@variants
def test_3_the_failures_page_scans(reader, live_server, demo, simulator, sync, width):
    tenant, _erp = demo
    add_unexplained_failures(simulator, sync, tenant, 6)  # 20 causes and more
    page = reader()
    t = reader.t
    page.goto(f"{live_server.url}/failures/?days=0")
    cards = page.locator("details.failure-group")
    titles = cards.locator("summary h2 > span:first-child").all_inner_texts()
    assert len(titles) >= 20 and len(titles) == len(set(titles)), titles  # each title once
    summary = page.locator("#cause-ranking")
    assert summary.bounding_box()["y"] < cards.first.bounding_box()["y"]  # the table first
    expect(page.locator("#shared-hints")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("See also")
    for card in cards.all()[:3]:  # open: the explanation is inside its own card
        expect(card).to_have_attribute("open", "")
        expect(card.locator(".advice").first).to_be_visible()
    header = summary.locator("thead th").nth(1)
    expect(header).to_have_text(t("Jobs", "how many jobs"))
    if width == 1440:
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height <= 3 * DESKTOP["height"] * 1.1 * max(len(titles), 20) / 20, height

    counts = lambda: [int(c) for c in summary.locator("tbody td:nth-child(2)").all_inner_texts()]  # noqa: E731
    assert counts() == sorted(counts(), reverse=True)
    header.locator("button").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    assert counts() == sorted(counts())
    cause = summary.locator("thead th").first
    cause.locator("button").click()
    names = summary.locator("tbody td:first-child a").all_inner_texts()
    assert names == sorted(names, key=str.lower)

    closed = cards.nth(10)
    assert closed.get_attribute("open") is None
    anchor = closed.get_attribute("id")
    summary.locator(f"a[href='#{anchor}']").click()
    expect(closed).to_have_attribute("open", "")  # a link from the table opens its card

    days = page.locator("#id_days option").evaluate_all("os => os.map(o => o.value)")
    assert days == ["1", "7", "30", "90", "0"]
    page.locator("#id_days").select_option("1")
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").click()
    assert "days=1" in urlsplit(page.url).query
    expect(page.locator("#id_days")).to_have_value("1")


@variants
def test_4_people_set_their_email_and_admins_manage_people(
    reader, live_server, demo, django_user_model, language, browser
):
    tenant, _erp = demo
    t = reader.t
    newbie = django_user_model.objects.create_user("newbie", "", PASSWORD)
    newbie.memberships.create(tenant=tenant, role="viewer")
    page = reader("newbie")
    page.goto(f"{live_server.url}/notifications/")
    page.locator("#mine-email a").click()
    expect(page.locator("#email-now")).to_contain_text(
        t("Your account has no confirmed email address: you get no email.")
    )
    page.locator("input[name=email]").fill("newbie@example.org")
    with page.expect_navigation():
        page.locator("main form.stacked button[type=submit]").click()
    expect(page.locator("#email-pending")).to_contain_text("newbie@example.org")
    (confirmation,) = mail.outbox
    link = re.search(r"http://dash\.test(/accounts/email/confirm/\S+/)", confirmation.body)
    newbie.refresh_from_db()
    assert newbie.email == ""
    page.goto(live_server.url + link.group(1))
    expect(page.locator("#email-now")).to_contain_text("newbie@example.org")
    expect(page.locator("#email-pending")).to_have_count(0)

    other = "zh-hans" if language == "en" else "en"
    page.goto(f"{live_server.url}/accounts/preferences/")
    page.locator("#language").select_option(other)
    with page.expect_navigation():
        page.locator("main form.stacked button[type=submit]").click()
    page.context.clear_cookies()  # a fresh browser, its own language cookie gone
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "newbie")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.locator("form.login button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", other)  # kept on the account

    mail.outbox.clear()
    admin = reader("admin")
    admin.goto(f"{live_server.url}/people/")
    admin.locator("#id_email").fill("grace@example.org")
    admin.locator("#id_tenant").select_option(str(tenant.pk))
    with admin.expect_navigation():
        admin.locator("form[action='/people/invite/'] button[type=submit]").click()
    expect(admin.locator("ul.messages")).to_contain_text("grace@example.org")
    grace = django_user_model.objects.get(email="grace@example.org")
    row = admin.locator(f"#person-{grace.pk}")
    expect(row).to_contain_text(t("invited"))
    (invitation,) = mail.outbox
    path = re.search(r"http://dash\.test(/accounts/reset/\S+/)", invitation.body).group(1)
    guest = browser.new_context()
    try:
        chooser = guest.new_page()
        chooser.goto(live_server.url + path)
        chooser.fill("#id_new_password1", "grace-chose-a-long-one-7")
        chooser.fill("#id_new_password2", "grace-chose-a-long-one-7")
        with chooser.expect_navigation():
            chooser.locator("main form button[type=submit]").click()
        expect(chooser).to_have_url(f"{live_server.url}/accounts/reset/done/")
    finally:
        guest.close()

    viewer = django_user_model.objects.get(username="viewer")
    row = admin.locator(f"#person-{viewer.pk}")
    with admin.expect_navigation():
        row.locator("button[value=deactivate]").click()
    expect(admin.locator(f"#person-{viewer.pk}")).to_contain_text(t("deactivated"))
    expect(admin.locator(f"#person-{viewer.pk} button[value=reactivate]")).to_be_visible()


@variants
def test_5_watch_on_a_finished_job_says_it_has_finished(reader, live_server, demo, simulator):
    tenant, _erp = demo
    t = reader.t
    page = reader("viewer")
    done = simulator.add_live_job(0, "SUCCESS", name="one-time-restore")  # now online
    finish(simulator, done)
    page.goto(job_url(live_server, tenant, done))
    expect(page.locator("#watch-finished")).to_be_visible()
    expect(page.locator("#watch")).to_contain_text(t("Email me when a job fails in my tenants"))
    expect(page.locator("#watch button")).to_have_count(0)  # nothing to watch any more
    expect(page.locator("#watch")).not_to_contain_text(t("Email when it ends"))
    running = simulator.add_live_job(600, "SUCCESS", name="still-going")
    page.goto(job_url(live_server, tenant, running))
    watch = page.locator("#watch button")
    expect(watch).to_have_text(t("Watch this job"))
    expect(page.locator("#watch")).to_contain_text("viewer@example.com")
    with page.expect_navigation():
        watch.click()
    expect(page.locator("#watch button")).to_have_text(t("Stop watching"))


@variants
def test_6_the_overview_lists_what_just_finished_and_the_picker_fits(
    reader, live_server, demo, simulator, sync, width
):
    tenant, _erp = demo
    done = simulator.add_live_job(0, "SUCCESS", name="just-done")
    finish(simulator, done)
    sync(tenant)
    page = reader()
    page.goto(f"{live_server.url}/")
    recent = page.locator("#finished-recently")
    expect(recent.locator(f"a[href$='/{done}/']")).to_have_text("just-done")
    running = page.locator("#running-now").bounding_box()
    beside = recent.bounding_box()
    if width == 1440:
        assert beside["x"] > running["x"] + running["width"] * 0.5, (running, beside)
        assert abs(beside["y"] - running["y"]) < 5, (running, beside)
        fits = page.evaluate("""() => {
          const s = document.querySelector('#lookup-tenant-top'), css = getComputedStyle(s);
          const c = document.createElement('canvas').getContext('2d');
          c.font = css.font;
          const text = c.measureText(s.placeholder).width;
          return [text, s.clientWidth - parseFloat(css.paddingLeft) - parseFloat(css.paddingRight)];
        }""")
        assert fits[0] <= fits[1], fits  # "All my tenants" whole, not "All my te"
    else:
        assert beside["y"] >= running["y"] + running["height"] - 1, (running, beside)
