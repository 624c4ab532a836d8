"""Sending one message to one channel, or to one person's email.

- Webhooks (json://, jsons://) we post ourselves with `requests`: signed (`X-DRS-Signature`),
  no redirects, bounded response size.
- Email, Slack, Teams workflows, DingTalk, Feishu/Lark and WeCom go through Apprise (in the
  send's own thread, not Apprise's pool), with its socket timeouts set from NOTIFY_TIMEOUT and
  its log records masked.
- Every send runs in its own thread under the outbound guard (jobs/upstream/connect.py): each
  connection is checked where it is made, no redirect is followed, and at NOTIFY_TIMEOUT its
  sockets are shut down, so the thread ends with the deadline. A send cut off that way is
  reported as timed out (and retried), so a receiver that got the message just before can see
  it twice. Webhook receivers dedupe on `X-DRS-Delivery`; that is the at-least-once part.
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
from jobs.upstream import connect

log = logging.getLogger(__name__)
RESPONSE_LIMIT = 64 * 1024
logmask.install()


class SendError(Exception):
    """Why a send failed, in words that hold no secret. `permanent`: retrying cannot help."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def bounded(fn, *args, secret_url: str = "", allow_private: bool | None = None) -> None:
    """Run `fn` in its own thread under the outbound guard, for NOTIFY_TIMEOUT seconds of wall
    clock: every connection it makes (webhook, Apprise plugin, SMTP, anything a plugin
    fetches) is checked where it is made, redirects are not followed, and at the deadline its
    sockets are shut down, so the thread ends then too. Log records lose every piece of
    `secret_url`. `allow_private`: None reads NOTIFY_ALLOW_PRIVATE_TARGETS."""
    timeout = settings.NOTIFY_TIMEOUT
    if allow_private is None:
        allow_private = settings.NOTIFY_ALLOW_PRIVATE_TARGETS
    policy = connect.Policy(allow_private=allow_private, deadline=time.monotonic() + timeout)
    future: Future = Future()

    def run() -> None:
        try:
            with logmask.masking(secret_url), connect.guarded(policy):
                future.set_result(fn(*args))
        except BaseException as exc:  # handed to the caller
            future.set_exception(exc)

    threading.Thread(target=run, daemon=True, name="notify-send").start()
    try:
        future.result(timeout=timeout + 0.5)  # the guard ends the exchange at `timeout`
    except TimeoutError as exc:
        raise SendError(f"timed out after {timeout:g} s") from exc
    except SendError:
        raise
    except Exception as exc:  # its text may hold the URL: only the type is kept
        if reason := connect.refusal(exc):
            raise SendError(f"refused: {reason}", permanent=True) from exc
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
            targets.webhook_url(url),
            data=body,
            headers=headers,
            allow_redirects=False,
            timeout=(min(timeout, 5.0), timeout),
            stream=True,
        ) as response:
            read = 0
            for chunk in response.iter_content(8192):
                read += len(chunk)
                if read > RESPONSE_LIMIT:
                    break
    except requests.RequestException as exc:
        if reason := connect.refusal(exc):
            raise SendError(f"refused: {reason}", permanent=True) from exc
        guard = connect.current()
        if isinstance(exc, requests.Timeout) or (guard and guard.expired):
            raise SendError("timed out: the receiver did not answer in time") from exc
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


def sending_asset() -> apprise.AppriseAsset:
    """Apprise's own switches as a second layer under the URL allow-list and the guard: no
    templates, no redirects, its secure logging on, and the send in the calling thread (so it
    runs under that thread's guard, deadline and masking)."""
    return apprise.AppriseAsset(
        async_mode=False, allow_templates=False, secure_logging=True, http_redirects=False
    )


def _apprise(url: str, kind: str, notice: Notice) -> None:
    title, body, body_format = apprise_message(kind, notice)
    asset = sending_asset()
    plugin = apprise.Apprise.instantiate(url, asset=asset, suppress_exceptions=True)
    if plugin is None:
        raise SendError("the channel URL is not valid", permanent=True)
    plugin.socket_connect_timeout = min(settings.NOTIFY_TIMEOUT, 5.0)
    plugin.socket_read_timeout = settings.NOTIFY_TIMEOUT
    plugin.redirects = False  # honoured by some plugins; the guard covers the rest
    plugin.notify_format = body_format  # the format we rendered: no conversion by Apprise
    sender = apprise.Apprise(asset=asset)
    sender.add(plugin)
    if not sender.notify(title=title, body=body, body_format=body_format):
        guard = connect.current()
        if guard and guard.refused:
            raise SendError(f"refused: {guard.refused[0]}", permanent=True)
        if guard and guard.expired:
            raise SendError(f"timed out after {settings.NOTIFY_TIMEOUT:g} s")
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
    # The server's own mail relay (EMAIL_HOST), not a target a tenant aims: it may be internal.
    bounded(message.send, allow_private=True)
