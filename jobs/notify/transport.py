"""Sending one message to one channel, or to one person's email.

- Webhooks (json://, jsons://) we post ourselves with `requests`: signed (`X-DRS-Signature`),
  no redirects, bounded response size.
- Email, Slack, Teams workflows, DingTalk, Feishu/Lark and WeCom go through Apprise, with its
  socket timeouts set from NOTIFY_TIMEOUT, redirects switched off for the sending thread and its
  log records masked.
- Every send runs in its own thread and is given NOTIFY_TIMEOUT of wall-clock time: a send past
  that is reported as timed out (and retried) even though its thread may still finish, so a
  receiver that answers very late can see a message twice. Webhook receivers dedupe on
  `X-DRS-Delivery`; that is the at-least-once part at the wire.
- Personal email (watches, failures, digests) goes through Django's mail settings: the server's
  own outbound mail, not a target a tenant admin aims.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from concurrent.futures import Future

import apprise
import requests
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from jobs.notify import logmask, render, targets
from jobs.notify.messages import Notice
from jobs.notify.models import Channel

log = logging.getLogger(__name__)
RESPONSE_LIMIT = 64 * 1024
_local = threading.local()
logmask.install()


class SendError(Exception):
    """Why a send failed, in words that hold no secret. `permanent`: retrying cannot help."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def _no_redirects_here(original):
    def get_redirect_target(session, response):
        return None if getattr(_local, "no_redirects", False) else original(session, response)

    return get_redirect_target


if not getattr(requests.Session, "_drs_notify_guard", False):
    requests.Session.get_redirect_target = _no_redirects_here(requests.Session.get_redirect_target)
    requests.Session._drs_notify_guard = True


def bounded(fn, *args, secret_url: str = "") -> None:
    """Run `fn` in its own thread; give it NOTIFY_TIMEOUT seconds of wall-clock time. Log
    records of that thread lose every piece of `secret_url`."""
    future: Future = Future()

    def run() -> None:
        _local.no_redirects = True
        try:
            with logmask.masking(secret_url):
                future.set_result(fn(*args))
        except BaseException as exc:  # handed to the caller
            future.set_exception(exc)

    threading.Thread(target=run, daemon=True, name="notify-send").start()
    try:
        future.result(timeout=settings.NOTIFY_TIMEOUT)
    except TimeoutError as exc:
        raise SendError(f"timed out after {settings.NOTIFY_TIMEOUT:g} s") from exc
    except SendError:
        raise
    except Exception as exc:  # its text may hold the URL: only the type is kept
        raise SendError(f"could not send ({type(exc).__name__})") from exc


def send_to_channel(channel: Channel, notice: Notice, delivery_key: str) -> None:
    try:
        url = channel.url
        target = targets.checked(url)
    except targets.TargetRefused as exc:
        raise SendError(str(exc), permanent=True) from exc
    if target.kind == "log":
        log.info("Notification [%s] %s", channel.name, render.line(notice))
        return
    if target.kind == "webhook":
        bounded(_post_webhook, url, channel.signing_secret, notice, delivery_key, secret_url=url)
        return
    bounded(_apprise, url, target.kind, notice, secret_url=url)


# -- webhooks ------------------------------------------------------------------------------------


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def webhook_body(notice: Notice, delivery_key: str) -> bytes:
    payload = {
        **notice.data,
        "delivery": delivery_key,
        "title": render.title(notice),
        "text": render.body(notice, "text"),
    }
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()


def _post_webhook(url: str, secret: str, notice: Notice, delivery_key: str) -> None:
    body = webhook_body(notice, delivery_key)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "drs-dashboard-notify/1",
        "X-DRS-Delivery": delivery_key,
        "X-DRS-Timestamp": timestamp,
        "X-DRS-Signature": signature(secret, timestamp, body),
    }
    timeout = settings.NOTIFY_TIMEOUT
    try:
        with requests.post(
            targets.webhook_url(url), data=body, headers=headers, allow_redirects=False,
            timeout=(min(timeout, 5.0), timeout), stream=True,
        ) as response:  # fmt: skip
            read = 0
            for chunk in response.iter_content(8192):
                read += len(chunk)
                if read > RESPONSE_LIMIT:
                    break
    except requests.Timeout as exc:
        raise SendError("timed out: the receiver did not answer in time") from exc
    except requests.RequestException as exc:
        raise SendError(f"could not connect ({type(exc).__name__})") from exc
    if 300 <= response.status_code < 400:
        raise SendError(f"HTTP {response.status_code}: redirects are not followed", permanent=True)
    if response.status_code >= 400:
        raise SendError(f"HTTP {response.status_code}")


# -- Apprise -------------------------------------------------------------------------------------

FORMATS = {  # the format we render for each kind, and tell Apprise the body is in
    "email": ("html", apprise.NotifyFormat.HTML),
    "slack": ("slack", apprise.NotifyFormat.MARKDOWN),
    "teams": ("markdown", apprise.NotifyFormat.MARKDOWN),
    "dingtalk": ("text", apprise.NotifyFormat.TEXT),
    "feishu": ("text", apprise.NotifyFormat.TEXT),
    "wecom": ("text", apprise.NotifyFormat.TEXT),
}


def apprise_message(kind: str, notice: Notice) -> tuple[str, str, apprise.NotifyFormat]:
    fmt, apprise_format = FORMATS[kind]
    title_format = "text" if kind == "email" else fmt  # an email subject is plain text
    return render.title(notice, title_format), render.body(notice, fmt), apprise_format


def _apprise(url: str, kind: str, notice: Notice) -> None:
    title, body, body_format = apprise_message(kind, notice)
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is None:
        raise SendError("the channel URL is not valid", permanent=True)
    plugin.socket_connect_timeout = min(settings.NOTIFY_TIMEOUT, 5.0)
    plugin.socket_read_timeout = settings.NOTIFY_TIMEOUT
    plugin.redirects = False  # honoured by some plugins; the thread's guard covers the rest
    plugin.notify_format = body_format  # the format we rendered: no conversion by Apprise
    sender = apprise.Apprise()
    sender.add(plugin)
    if not sender.notify(title=title, body=body, body_format=body_format):
        raise SendError(f"the {kind} service did not accept the message (see the server log)")


# -- personal email ------------------------------------------------------------------------------


def send_email(address: str, subject: str, text: str, html: str, delivery_key: str) -> None:
    if not address:
        raise SendError("the person has no email address", permanent=True)
    message_id = f"<{hashlib.sha256(delivery_key.encode()).hexdigest()[:32]}@drs-dashboard>"
    message = EmailMultiAlternatives(
        subject=subject.replace("\r", " ").replace("\n", " ")[:200],
        body=text,
        from_email=settings.NOTIFY_FROM_EMAIL,
        to=[address],
        headers={"Message-ID": message_id},
        connection=get_connection(timeout=settings.NOTIFY_TIMEOUT),
    )
    message.attach_alternative(html, "text/html")
    bounded(message.send)
