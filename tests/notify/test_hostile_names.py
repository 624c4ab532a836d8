"""A job name (and error line) written to inject links, mentions and markup arrives inert in
every format: what each service would receive is captured at the HTTP layer (their hosts are
fixed in Apprise), email goes through real SMTP, webhooks through the loopback receiver."""

from __future__ import annotations

import json

import pytest
import requests

from jobs.mirror.models import JobEvent
from jobs.notify import services
from jobs.notify.messages import for_event
from jobs.notify.transport import send_to_channel
from tests.notify.conftest import drain, transition

HOSTILE = (
    '<!channel> <!here> @all <at user_id="all">x</at> [click](http://evil.example/x) '
    "<a href='http://evil.example'>x</a> **bold** _it_ www.evil.example\n# heading `code` &amp;"
)
URLS = {
    "slack": "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ",
    "teams": "workflows://prod-01.westus.logic.azure.com:443/abcdef0123/sigSIG0123456789",
    "dingtalk": "dingtalk://abcdef0123456789",
    "feishu": "feishu://abcdef0123456789",
    "lark": "lark://abcdef0123456789",
    "wecom": "wecombot://abcdef0123456789",
}


def assert_inert(text: str, markdown: bool = True) -> None:
    for bad in (
        "<!channel>",
        "<!here>",
        "@all",
        "<at ",
        "<a ",
        "](http",
        "http://evil",
        "evil.example",
        "www.",
        "\n# heading",
    ):
        assert bad not in text, (bad, text)
    if markdown:
        assert "**bold**" not in text and "_it_" not in text, text


@pytest.fixture
def captured(monkeypatch):
    sent: list[requests.PreparedRequest] = []

    def fake_send(session, request, **kwargs):
        sent.append(request)
        response = requests.Response()
        response.status_code = 200
        response._content = (
            b"ok" if "slack.com" in request.url else b'{"errcode": 0, "code": 0, "StatusCode": 0}'
        )
        response.request = request
        return response

    monkeypatch.setattr(requests.Session, "send", fake_send)
    return sent


@pytest.fixture
def hostile_event(ntenant):
    transition(ntenant, "job-1", "FAILED", name=HOSTILE, error_log=HOSTILE)
    return JobEvent.objects.get(kind="failed")


@pytest.mark.parametrize("kind", sorted(URLS))
def test_chat_services_receive_inert_text(kind, ntenant, hostile_event, captured):
    channel, _ = services.add_channel(ntenant, kind, URLS[kind], actor_name="t")
    send_to_channel(channel, for_event(hostile_event, "en"), "key-1")
    assert len(captured) == 1
    payload = json.dumps(json.loads(captured[0].body))  # \\u escapes folded back below
    text = json.loads(captured[0].body)
    flat = json.dumps(text, ensure_ascii=False)
    assert_inert(flat.replace("\\n", "\n"), markdown=kind == "teams")
    if kind == "slack":  # upstream text sits in code spans it cannot close: nothing formats
        assert flat.count("`") == 2 * 5  # title, tenant, status, when, error
        assert "`‹!channel›" in flat and "ˋcodeˋ" in flat
    assert "job-1" in payload  # the link to our page is there


def test_email_html_and_text_are_inert(ntenant, hostile_event, smtp):
    url = f"mailto://127.0.0.1:{smtp.port}?from=drs@example.com&to=ops@example.com"
    channel, _ = services.add_channel(ntenant, "mail", url, actor_name="t")
    send_to_channel(channel, for_event(hostile_event, "en"), "key-1")
    (message,) = smtp.messages
    assert "\n" not in message["Subject"]
    html = message.get_body(("html",)).get_content()
    assert "&lt;a " in html  # escaped, shown as text
    ours = '<a href="https://dash.example.com/tenants/acme/jobs/job-1/">'
    assert html.count("<a ") == 1 and ours in html
    assert_inert(html.replace(ours, ""), markdown=False)


def test_personal_email_is_inert(ntenant, smtp, people_in):
    from jobs.notify.models import Watch

    (watcher,) = people_in(ntenant, "watcher")
    Watch.objects.create(user=watcher, tenant=ntenant, job_id="job-1")
    transition(ntenant, "job-1", "FAILED", name=HOSTILE, error_log=HOSTILE)
    drain()
    (message,) = smtp.messages
    assert_inert(message.get_body(("plain",)).get_content(), markdown=False)
    html = message.get_body(("html",)).get_content()
    ours = '<a href="https://dash.example.com/tenants/acme/jobs/job-1/">'
    assert html.count("<a ") == 1 and ours in html
    assert_inert(html.replace(ours, ""), markdown=False)


def test_webhook_text_is_inert_and_data_is_raw(ntenant, webhook, receiver):
    services.add_rule(ntenant, "failed", webhook(), actor_name="t")
    transition(ntenant, "job-1", "FAILED", name=HOSTILE)
    drain()
    (message,) = receiver.messages
    assert_inert(message["title"] + message["text"], markdown=False)
    assert message["job"]["name"] == HOSTILE[:255]  # JSON is data: the receiver escapes
