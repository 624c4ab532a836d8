"""A channel URL's secret is nowhere but in its ciphertext: pages, logs (Apprise's too), audit
and the database. Targets on private addresses are refused unless allowed."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from django.core.management import call_command
from django.db import connection

from jobs.notify import services
from jobs.notify.messages import for_test
from jobs.notify.models import Channel
from jobs.notify.targets import TargetRefused, checked
from jobs.notify.transport import SendError, send_to_channel
from jobs.tenants.models import AuditEvent
from tests.notify.conftest import SECRET_URL_TOKEN, drain, transition

SLACK_TOKEN = "TIiajkdnlazkcOXrIdevi7FQ"
SLACK = f"slack://T1JJ3T3L2/A1BRTD4JD/{SLACK_TOKEN}"
MAIL_PASSWORD = "mail-Passw0rd-4242"


def test_secrets_are_nowhere_but_in_ciphertext(ntenant_admin, ntenant, smtp, caplog, receiver):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("apprise").setLevel(logging.DEBUG)
    mail = (
        f"mailto://user:{MAIL_PASSWORD}@127.0.0.1:{smtp.port}"
        "?to=ops@example.com&from=drs@example.com"
    )
    hook = f"{receiver.url}/h?token={SECRET_URL_TOKEN}"
    pages = []
    for name, url in (("mail", mail), ("hook", hook)):
        response = ntenant_admin.post(
            f"/tenants/{ntenant.slug}/notifications/channels/",
            {"name": name, "url": url, "language": "en"},
        )
        if name == "hook":  # the signing secret is shown once, on this answer
            assert response.status_code == 200
            pages.append(response.content.decode())
        else:
            assert response.status_code == 302
            pages.append(ntenant_admin.get(response["Location"]).content.decode())
    pages.append(ntenant_admin.get(f"/tenants/{ntenant.slug}/notifications/").content.decode())
    for channel in Channel.objects.all():  # sends, fails (no SMTP auth) and logs at DEBUG
        ntenant_admin.post(f"/tenants/{ntenant.slug}/notifications/channels/{channel.pk}/test/")
    services.add_rule(ntenant, "failed", Channel.objects.get(name="hook"), actor_name="t")
    transition(ntenant, "job-1", "FAILED")
    drain()
    pages.append(ntenant_admin.get(f"/tenants/{ntenant.slug}/notifications/").content.decode())
    pages.append(
        ntenant_admin.get(f"/tenants/{ntenant.slug}/notifications/deliveries/").content.decode()
    )
    assert "set (…" in pages[-2]  # the write-only hint
    assert Channel.objects.count() == 2

    audit = " ".join(str(e.detail) for e in AuditEvent.objects.all())
    assert "notify_channel_added" in {e.action for e in AuditEvent.objects.all()}
    connection.close()
    dump = "\n".join(sqlite3.connect(connection.settings_dict["NAME"]).iterdump())
    for secret in (SECRET_URL_TOKEN, MAIL_PASSWORD):
        for where, text in (
            ("pages", " ".join(pages)),
            ("logs", caplog.text),
            ("audit", audit),
            ("database", dump),
        ):
            assert secret not in text, where
    assert "Sending" in caplog.text or "apprise" in caplog.text.lower()  # Apprise did log


def test_apprise_debug_logs_are_masked(ntenant, caplog, monkeypatch):
    import requests

    def refuse(session, request, **kwargs):
        raise requests.ConnectionError(f"cannot reach {request.url}")

    monkeypatch.setattr(requests.Session, "send", refuse)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("apprise").setLevel(logging.DEBUG)
    channel, _ = services.add_channel(ntenant, "slack", SLACK, actor_name="t")
    with pytest.raises(SendError):
        send_to_channel(channel, for_test(ntenant, "en"), "k")
    assert "apprise" in {r.name for r in caplog.records}
    assert "cannot reach" in caplog.text or "Slack" in caplog.text
    assert SLACK_TOKEN not in caplog.text


def test_the_cli_takes_the_url_from_stdin_or_env_only(ntenant, monkeypatch, capsys, receiver):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(f"{receiver.url}/cli?token={SECRET_URL_TOKEN}\n"))
    call_command("notify", "channel-add", ntenant.slug, "cli")
    out = capsys.readouterr().out
    assert "Signing secret (shown once)" in out and SECRET_URL_TOKEN not in out
    monkeypatch.setenv("NOTIFY_URL", "log://")
    call_command("notify", "channel-add", ntenant.slug, "log")
    call_command(
        "notify", "rule-add", ntenant.slug, "--event", "precheck-failed", "--channel", "log"
    )
    call_command("notify", "list", ntenant.slug)
    listing = capsys.readouterr().out
    assert "rule\tprecheck-failed\tlog" in listing and SECRET_URL_TOKEN not in listing
    call_command("notify", "test", ntenant.slug, "cli")  # exit 0: delivered
    receiver.mode = {f"/cli?token={SECRET_URL_TOKEN}": "fail"}
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Not delivered: HTTP 500"):
        call_command("notify", "test", ntenant.slug, "cli")


@pytest.mark.parametrize(
    "url",
    [
        "json://127.0.0.1:8080/x",
        "jsons://10.1.2.3/x",
        "json://[::1]/x",
        "json://169.254.169.254/latest/meta-data",
        "mailto://u:p@192.168.1.5?to=a@example.com",
        "workflows://localhost:443/wf/sig",
    ],
)
def test_private_targets_are_refused(url, settings):
    settings.NOTIFY_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(TargetRefused):
        checked(url)


def test_unsupported_schemes_are_refused():
    for url in ("http://example.com", "file:///etc/passwd", "syslog://", "nonsense"):
        with pytest.raises(TargetRefused):
            checked(url)


def test_a_target_that_turns_private_is_refused_at_send_time(ntenant, settings):
    channel, _ = services.add_channel(ntenant, "h", "json://127.0.0.1:9/x", actor_name="t")
    settings.NOTIFY_ALLOW_PRIVATE_TARGETS = False
    from jobs.notify.transport import SendError

    with pytest.raises(SendError) as failure:
        send_to_channel(channel, for_test(ntenant, "en"), "k")
    assert failure.value.permanent
