"""Channel and rule changes made on the pages show on the audit page in words, in English and
Chinese, and can be filtered by action."""

from __future__ import annotations

import re

from jobs.notify.models import Channel, Rule
from jobs.tenants.models import AuditEvent
from tests.notify.conftest import SECRET_URL_TOKEN

LABELS = {
    "notify_channel_added": ("Notification channel added", "添加通知通道"),
    "notify_channel_tested": ("Notification channel tested", "测试通知通道"),
    "notify_rule_added": ("Notification rule added", "添加通知规则"),
    "notify_rule_removed": ("Notification rule removed", "移除通知规则"),
    "notify_channel_removed": ("Notification channel removed", "移除通知通道"),
}


def _what_column(html: str) -> list[str]:
    cell = r"<td[^>]*>(.*?)</td>"
    rows = re.findall(rf"<tr>\s*{cell}\s*{cell}\s*{cell}", html, re.S)
    return [what.strip() for _when, _who, what in rows]


def test_channel_and_rule_changes_are_in_the_audit_log_in_words(ntenant_admin, ntenant, receiver):
    base = f"/tenants/{ntenant.slug}/notifications"
    url = f"{receiver.url}/hook?token={SECRET_URL_TOKEN}"
    ntenant_admin.post(f"{base}/channels/", {"name": "ops", "url": url, "language": "en"})
    channel = Channel.objects.get(name="ops")
    ntenant_admin.post(f"{base}/channels/{channel.pk}/test/")
    ntenant_admin.post(f"{base}/rules/", {"event": "failed", "channel": channel.pk})
    rule = Rule.objects.get()
    ntenant_admin.post(f"{base}/rules/{rule.pk}/delete/")
    ntenant_admin.post(f"{base}/channels/{channel.pk}/delete/")
    AuditEvent.objects.filter(action="login").delete()  # force_login's own entry
    assert sorted(AuditEvent.objects.values_list("action", flat=True)) == sorted(LABELS)

    page = ntenant_admin.get("/audit/").content.decode()
    assert sorted(_what_column(page)) == sorted(en for en, _ in LABELS.values())
    for key in LABELS:
        assert key not in page.split("<table", 1)[1]  # no raw key in the table
    assert SECRET_URL_TOKEN not in page

    chinese = ntenant_admin.get("/audit/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert sorted(_what_column(chinese)) == sorted(zh for _, zh in LABELS.values())

    only_rules = ntenant_admin.get("/audit/?action=notify_rule_added").content.decode()
    assert _what_column(only_rules) == ["Notification rule added"]


def test_the_notification_actions_have_chinese_labels():
    from django.utils import translation

    notify_actions = [a for a in AuditEvent.Action if a.value.startswith("notify_")]
    assert sorted(notify_actions) == sorted(LABELS)
    with translation.override("zh-hans"):
        for action in notify_actions:
            assert str(action.label) == LABELS[action.value][1]
