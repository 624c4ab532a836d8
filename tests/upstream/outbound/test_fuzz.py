"""Fuzzing the notification forms and CLI (issue 18): any input gives a 4xx or a redirect, or a
CommandError with a message: never a 500, never a traceback. And the channel-URL parser: what
it accepts, urllib3 (what connects) reads the same way. Under the suite's tripwire and fake
DNS: nothing leaves the machine. HYPOTHESIS_PROFILE=fuzz-long searches deeper."""

from __future__ import annotations

import io
import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, example, given
from hypothesis import settings as profiles
from hypothesis import strategies as st

from jobs.notify.models import Channel
from jobs.notify.targets import TargetRefused, checked, split
from jobs.tenants.models import Membership

from .conftest import PUBLIC

pytestmark = pytest.mark.django_db(transaction=True)

profiles.register_profile(
    "outbound-fuzz",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
profiles.register_profile(
    "outbound-fuzz-long", parent=profiles.get_profile("outbound-fuzz"), max_examples=1000
)
FUZZ = profiles.get_profile(
    "outbound-fuzz-long" if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz-long" else "outbound-fuzz"
)

EDGES = [
    "",
    " ",
    "0",
    "-1",
    "-5",
    "1",
    "9" * 20,
    str(10**30),
    "10000000000000",
    "1e3",
    "NaN",
    "\x00",
    "a\x00b",
    "٣",
    "１２",
    "💥",
    "a" * 5000,
    "\u202e",
    "%00",
    "sync_failing",
    "failed",
    "log://",
    "x" * 65,
]
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
VALUE = st.one_of(st.sampled_from(EDGES), TEXT)
PIECES = [
    "127.0.0.1",
    "pub.example",
    "[::1]",
    "[64:ff9b::7f00:1]",
    "@",
    "\\",
    ":",
    "::",
    "%2f",
    "%40",
    "#",
    "?",
    "/",
    "..",
    ":29999",
    ":0",
    ":65536",
    ":99999999999999999999",
    "user:pw@",
    "?template=http://127.0.0.1/",
    "?verify=no",
    "&to=a@example.com",
    "T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ",
    " ",
    "\t",
    "\n",
    "ａ",
    "0x7f.1",
    "2130706433",
    "localhost",
]
SCHEMES = [
    "json://",
    "jsons://",
    "mailto://",
    "mailtos://",
    "slack://",
    "workflows://",
    "workflow://",
    "dingtalk://",
    "feishu://",
    "lark://",
    "wecombot://",
    "log://",
    "file://",
    "http://",
    "JSON://",
    "",
]
CLI_WORDS = [
    "--event",
    "--channel",
    "--after-minutes",
    "--language",
    "sync-failing",
    "failed",
    "log",
    "acme",
    "-5",
    "10000000000000",
]
URLS = st.builds(
    lambda scheme, parts: scheme + "".join(parts),
    st.sampled_from(SCHEMES),
    st.lists(st.one_of(st.sampled_from(PIECES), TEXT), max_size=6),
)


@pytest.fixture
def admin(client, ntenant, django_user_model, dns):
    dns.names.update({"pub.example": [PUBLIC], "localhost": ["127.0.0.1"]})
    user = django_user_model.objects.create_user("boss", "boss@example.com", "pw")
    Membership.objects.create(user=user, tenant=ntenant, role="admin")
    client.force_login(user)
    return client


def no_500(response) -> None:
    assert response.status_code < 500, response.content[:2000]


BIG_PORT = "json://h.example:99999999999999999999/x"  # the findings, always among the examples
BACKSLASH = "json://127.0.0.1:29999\\@pub.example/"


@FUZZ
@given(name=VALUE, url=st.one_of(URLS, VALUE), language=VALUE)
@example(name="p", url=BIG_PORT, language="en")
@example(name="a\x01b", url="log://", language="en")
def test_the_channel_form_never_500s(admin, ntenant, name, url, language):
    base = f"/tenants/{ntenant.slug}/notifications"
    no_500(admin.post(f"{base}/channels/", {"name": name, "url": url, "language": language}))


EVENTS = ["failed", "precheck_failed", "succeeded", "stalled", "sync_failing"]
MINUTES = ["-5", "0", "1", "30", "43200", "43201", "10000000000000", str(10**30), "9" * 20]


@FUZZ
@given(
    event=st.one_of(st.sampled_from(EVENTS), VALUE),
    channel=st.one_of(st.none(), VALUE),
    minutes=st.one_of(st.sampled_from(MINUTES), VALUE),
)
@example(event="sync_failing", channel=None, minutes=str(10**30))
def test_the_rule_form_never_500s(admin, ntenant, event, channel, minutes):
    if not Channel.objects.exists():
        from jobs.notify import services

        services.add_channel(ntenant, "log", "log://", actor_name="t")
    pk = str(Channel.objects.first().pk)
    data = {"event": event, "channel": pk if channel is None else channel, "after_minutes": minutes}
    no_500(admin.post(f"/tenants/{ntenant.slug}/notifications/rules/", data))


@FUZZ
@given(job_id=st.one_of(st.sampled_from(["a" * 64, "a" * 65, "a-b", "-"]), TEXT))
def test_watching_any_id_never_500s(admin, ntenant, job_id):
    from urllib.parse import quote

    no_500(admin.post(f"/tenants/{ntenant.slug}/jobs/{quote(job_id, safe='')}/watch/"))


@FUZZ
@given(failures=VALUE, digest_at=VALUE, zone=VALUE, language=VALUE)
def test_the_subscription_form_never_500s(admin, failures, digest_at, zone, language):
    data = {"failures": failures, "digest_at": digest_at, "time_zone": zone, "language": language}
    no_500(admin.post("/notifications/", data))


def run_cli(*args) -> None:
    """A CommandError with a message (or argparse's exit 2) is an answer; anything else is a
    traceback the person would see."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("notify", *args, stdout=out, stderr=err)
    except CommandError as exc:
        assert str(exc)
    except SystemExit as exc:  # argparse's own usage errors, as on a terminal
        assert exc.code == 2


@FUZZ
@given(
    event=st.one_of(st.sampled_from([e.replace("_", "-") for e in EVENTS]), VALUE),
    channel=st.one_of(st.just("log"), VALUE),
    minutes=st.one_of(st.sampled_from(MINUTES), VALUE),
)
@example(event="sync-failing", channel="log", minutes="-5")
def test_cli_rule_add_answers_with_a_message_never_a_traceback(
    ntenant, dns, event, channel, minutes
):
    if not Channel.objects.filter(name="log").exists():
        from jobs.notify import services

        services.add_channel(ntenant, "log", "log://", actor_name="t")
    run_cli(
        "rule-add", ntenant.slug, "--event", event, "--channel", channel, "--after-minutes", minutes
    )


@FUZZ
@given(name=VALUE, url=st.one_of(URLS, VALUE), language=st.one_of(st.just("en"), VALUE))
@example(name="p", url=BIG_PORT, language="en")
def test_cli_channel_add_answers_with_a_message_never_a_traceback(
    ntenant, dns, monkeypatch, name, url, language
):
    dns.names["pub.example"] = [PUBLIC]
    monkeypatch.setenv("NOTIFY_URL", url.replace("\x00", "") or "log://")
    run_cli("channel-add", ntenant.slug, name, "--language", language)


@FUZZ
@given(
    action=st.sampled_from(["channel-add", "rule-add", "test", "list", "nonsense"]),
    args=st.lists(st.one_of(st.sampled_from(CLI_WORDS), TEXT), max_size=6),
    url=st.one_of(URLS, VALUE),
)
def test_the_cli_answers_with_a_message_never_a_traceback(
    ntenant, dns, monkeypatch, action, args, url
):
    monkeypatch.setenv("NOTIFY_URL", url.replace("\x00", "") or "log://")
    run_cli(action, ntenant.slug, *args)


@FUZZ
@given(url=URLS)
@example(url=BACKSLASH)
def test_what_the_parser_accepts_urllib3_reads_the_same(dns, url):
    from urllib3.util import parse_url

    dns.names.update({"pub.example": [PUBLIC], "localhost": [PUBLIC]})
    try:
        target = checked(url)
    except TargetRefused:
        return
    if target.kind != "webhook":
        return
    ours = split(url)
    theirs = parse_url("http" + url[url.index("://") :])
    assert (theirs.host or "").lower().strip("[]") == ours.host.lower()
    assert theirs.port == ours.port
