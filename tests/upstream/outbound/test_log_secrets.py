"""Channel secrets stay out of the log (issue 18): Apprise printed a DingTalk token and a whole
Slack URL in its own warnings at the default level, and URLs at DEBUG. Channels carrying marker
secrets are added (good ones and ones Apprise refuses, with a warning), tested and sent, with
every logger at its most verbose; no log line holds a marker."""

from __future__ import annotations

import logging

import pytest

from jobs.notify.models import Channel
from jobs.tenants.models import Membership

pytestmark = pytest.mark.django_db(transaction=True)

MARKERS = {
    "dingtalk": "dingtalk://MarkerDingSecret0001@MarkerDingToken00002/",
    "feishu": "feishu://MarkerFeishu000003",
    "lark": "lark://MarkerLark00000004",
    "wecom": "wecombot://MarkerWecom0000005",
    "slack": "slack://T1JJ3T3L2/A1BRTD4JD/MarkerSlackTok0000006",
    "teams": "workflows://prod.teams.example/MarkerFlow0000007/MarkerSig00000008",
    "mail": "mailtos://user:MarkerMailPw000009@mail.teams.example?to=ops@example.com",
    "hook": "jsons://hook.teams.example/h?token=MarkerHookTok0000010",
    # Refused by Apprise itself, which says why in a warning that used to quote the token:
    "bad-slack": "slack://MarkerBadSlack0011",
    "bad-ding": "dingtalk://MarkerBad_Ding0012/",
    "bad-mail": "mailto://user:MarkerMailPw000013@mail.teams.example?to=not-an-address",
}
SECRETS = [
    f"Marker{word}"
    for word in (
        "DingSecret0001",
        "DingToken00002",
        "Feishu000003",
        "Lark00000004",
        "Wecom0000005",
        "SlackTok0000006",
        "Flow0000007",
        "Sig00000008",
        "MailPw000009",
        "HookTok0000010",
        "BadSlack0011",
        "Bad_Ding0012",
        "MailPw000013",
    )
]


def test_no_log_line_holds_a_channel_secret(client, ntenant, django_user_model, dns, caplog, capfd):
    for host in (
        "oapi.dingtalk.com",
        "open.feishu.cn",
        "open.larksuite.com",
        "qyapi.weixin.qq.com",
        "hooks.slack.com",
        "prod.teams.example",
        "mail.teams.example",
        "hook.teams.example",
    ):
        dns.names[host] = ["127.0.0.1"]  # internal: the guard refuses every send
    for host in ("prod.teams.example", "mail.teams.example", "hook.teams.example"):
        dns.names[host] = ["93.184.216.34"]  # public to the add-time check
    for name in ("apprise", "urllib3", "urllib3.connectionpool", "smtplib", "jobs", ""):
        caplog.set_level(1, logger=name)
    admin = django_user_model.objects.create_user("boss", "boss@example.com", "pw")
    Membership.objects.create(user=admin, tenant=ntenant, role="admin")
    client.force_login(admin)
    base = f"/tenants/{ntenant.slug}/notifications"
    for name, url in MARKERS.items():
        client.post(f"{base}/channels/", {"name": name, "url": url, "language": "en"})
    added = set(Channel.objects.values_list("name", flat=True))
    assert {"dingtalk", "feishu", "lark", "wecom", "slack", "teams", "mail", "hook"} <= added
    assert not added & {"bad-slack", "bad-ding"}  # Apprise refused them, with a warning
    for host in ("prod.teams.example", "mail.teams.example", "hook.teams.example"):
        dns.names[host] = ["127.0.0.1"]  # and internal to the send
    for channel in Channel.objects.all():
        client.post(f"{base}/channels/{channel.pk}/test/")
    pages = client.get(f"{base}/deliveries/").content.decode()
    assert "apprise" in {r.name for r in caplog.records}  # Apprise did log, verbosely
    assert any(r.levelno < logging.DEBUG for r in caplog.records)  # down to its TRACE
    lines = [caplog.text, capfd.readouterr().err, pages]
    for record in caplog.records:  # each record as any formatter would print it
        lines.append(logging.Formatter("%(message)s %(exc_text)s").format(record))
    text = "\n".join(lines)
    leaked = [secret for secret in SECRETS if secret in text]
    assert leaked == []
