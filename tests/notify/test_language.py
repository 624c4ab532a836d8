"""Messages in the recipient's language: a channel's language, a person's subscription language,
over the real webhook receiver and SMTP server."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.utils import translation

from jobs.notify import services
from jobs.notify.messages import HEADINGS
from jobs.notify.models import Subscription
from tests.notify.conftest import SECRET_URL_TOKEN, drain, transition

ERROR_LOG = "Msg 3201, Level 16, State 1\nCannot open backup device 'D:\\x.bak'. Operating system error 2.\n"


def test_locale_paths_exist():
    assert settings.LOCALE_PATHS
    for path in settings.LOCALE_PATHS:
        assert Path(path).is_dir(), path


def test_every_heading_has_a_chinese_translation():
    with translation.override("zh-hans"):
        for key, heading in HEADINGS.items():
            assert translation.gettext(heading) != heading, key


def test_a_chinese_webhook_channel_gets_a_chinese_message(ntenant, receiver):
    path = "/zh"
    url = f"{receiver.url}{path}?token={SECRET_URL_TOKEN}"
    channel, secret = services.add_channel(ntenant, "zh-hook", url, "zh-hans", actor_name="t")
    receiver.secrets[f"{path}?token={SECRET_URL_TOKEN}"] = secret
    services.add_rule(ntenant, "failed", channel, actor_name="t")

    transition(ntenant, "job-1", "FAILED", error_log=ERROR_LOG)
    drain()

    assert receiver.bad_signatures == 0
    (message,) = receiver.messages
    assert message["title"].startswith("任务失败: ")
    for label in ("租户", "状态", "时间", "错误信息", "可能原因"):
        assert f"{label}:" in message["text"], label
    assert "无法打开备份文件" in message["hint"]  # the hint's title, translated
    assert "Job failed" not in message["text"] + message["title"]
    assert message["job"]["name"] == "nightly restore"  # upstream data is not translated


def test_a_chinese_subscriber_gets_a_chinese_email_and_an_english_one_english(
    ntenant, smtp, people_in
):
    zh, en = people_in(ntenant, "zh", "en")
    Subscription.objects.create(
        user=zh, failures=True, language="zh-hans", time_zone="Asia/Shanghai"
    )
    Subscription.objects.create(user=en, failures=True, language="en")

    transition(ntenant, "job-1", "PRECHECK FAILED", error_log=ERROR_LOG)
    drain()

    # .strip(): the parser keeps the space where a long encoded Subject was folded
    by_to = {m["To"]: m for m in smtp.messages}
    assert set(by_to) == {"zh@example.com", "en@example.com"}
    chinese = by_to["zh@example.com"]
    assert chinese["Subject"].strip() == "任务预检查失败: nightly restore"
    text = chinese.get_body(("plain",)).get_content()
    html = chinese.get_body(("html",)).get_content()
    for label in ("租户", "状态", "错误信息", "可能原因"):
        assert label in text and label in html
    assert "CST" in text  # the subscriber's time zone (Asia/Shanghai)
    english = by_to["en@example.com"]
    assert english["Subject"].strip() == "Job pre-check failed: nightly restore"
    assert "Likely cause" in english.get_body(("plain",)).get_content()


def test_a_chinese_digest(ntenant, smtp, people_in):
    from datetime import time as clock

    from django.utils import timezone

    from jobs.notify.outbox import enqueue_digests

    (user,) = people_in(ntenant, "zh")
    now = timezone.now()
    Subscription.objects.create(user=user, digest_at=clock(now.hour, 0), language="zh-hans")
    transition(
        ntenant,
        "job-1",
        "FAILED",
        error_log=ERROR_LOG,
        finish_time=now - timezone.timedelta(hours=1),
    )
    assert enqueue_digests(now) == 1
    drain()
    (message,) = smtp.messages
    assert message["Subject"].strip() == "您的 DRS 备份迁移每日摘要"
    text = message.get_body(("plain",)).get_content()
    assert "成功" in text and "失败" in text and "运行时间超出平常" in text
    assert "无法打开备份文件" in text
