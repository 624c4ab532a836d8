"""Real receivers on loopback: an HTTP server for webhooks that checks each signature, and an
SMTP server (aiosmtpd). Jobs are moved through the mirror as the sync would."""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from email import policy
from http.server import BaseHTTPRequestHandler

import pytest
from aiosmtpd.controller import Controller

from tests.support import serving

SECRET_URL_TOKEN = "s3cr3t-token-XYZ-9876"  # appears in every test channel URL


@pytest.fixture(autouse=True)
def _notify_settings(settings):
    settings.NOTIFY_ALLOW_PRIVATE_TARGETS = True
    settings.NOTIFY_TIMEOUT = 1.0
    settings.NOTIFY_RETRY_SECONDS = 0.05
    settings.NOTIFY_MAX_RETRY_SECONDS = 0.2
    settings.NOTIFY_MAX_ATTEMPTS = 4
    settings.DASHBOARD_BASE_URL = "https://dash.example.com"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


class Receiver:
    """Webhook receiver. `mode`: ok, fail (500), hang (never answers in time), redirect."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.headers: list[dict] = []
        self.secrets: dict[str, str] = {}  # path → signing secret
        self.bad_signatures = 0
        self.mode: dict[str, str] = {}  # path → mode
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                mode = receiver.mode.get(self.path, "ok")
                if mode == "hang":
                    time.sleep(3)
                    return
                if mode == "redirect":
                    self.send_response(302)
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                    self.end_headers()
                    return
                if mode == "fail":
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.accept(self.path, dict(self.headers), body)
                self.send_response(200)
                self.end_headers()

        self.handler = Handler
        self.url = ""  # json://127.0.0.1:port while served

    def accept(self, path: str, headers: dict, body: bytes) -> None:
        secret = self.secrets.get(path, "")
        expected = hmac.new(
            secret.encode(), headers["X-DRS-Timestamp"].encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        with self.lock:
            if not hmac.compare_digest("sha256=" + expected, headers["X-DRS-Signature"]):
                self.bad_signatures += 1
                return
            self.messages.append({"path": path, **json.loads(body)})
            self.headers.append(headers)

    def at(self, path: str) -> list[dict]:
        return [m for m in self.messages if m["path"] == path]


@pytest.fixture
def receiver():
    receiver = Receiver()
    with serving(receiver.handler) as server:
        receiver.url = server.url.replace("http://", "json://", 1)
        yield receiver


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    mailbox = Mailbox()
    with socket.socket() as probe:  # aiosmtpd checks its own port: it needs a real one
        probe.bind(("127.0.0.1", 0))
        mailbox.port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", mailbox.port
    yield mailbox
    controller.stop()


@pytest.fixture
def ntenant(transactional_db):
    from jobs.tenants.models import Tenant

    tenant = Tenant(
        name="Acme",
        region="ap-southeast-3",
        project_id="p1",
        auth_method="aksk",
        access_key="AKTEST",
    )
    tenant.secret_key = "sk"
    tenant.save()
    return tenant


@pytest.fixture
def ntenant_admin(client, ntenant, django_user_model):
    """The test client, signed in as boss, an admin of `ntenant`."""
    from jobs.tenants.models import Membership

    admin = django_user_model.objects.create_user("boss", "boss@example.com", "pw")
    Membership.objects.create(user=admin, tenant=ntenant, role="admin")
    client.force_login(admin)
    return client


@pytest.fixture
def webhook(receiver, ntenant):
    """make(path, tenant=None) → a webhook channel aimed at the receiver, secret registered."""
    from jobs.notify import services

    def make(path: str = "/hook", tenant=None, name=None):
        url = f"{receiver.url}{path}?token={SECRET_URL_TOKEN}"
        channel, secret = services.add_channel(
            tenant or ntenant, name or path, url, actor_name="test"
        )
        receiver.secrets[f"{path}?token={SECRET_URL_TOKEN}"] = secret
        return channel

    return make


T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def seen(job_id: str, status: str, name: str = "nightly restore", error_log: str = "", **kw):
    from jobs.mirror.record import Seen

    finish = kw.pop("finish_time", T0 + timedelta(hours=1) if status != "TRANSFERRING" else None)
    return Seen(job_id, name, status, "sqlserver", error_log, "", T0, finish, "0", **kw)


def transition(tenant, job_id: str, status: str, **kw) -> None:
    """The job seen running, then in `status`, through the sync's own mirror code."""
    from jobs.mirror import record as mirror

    mirror.observe(tenant, [seen(job_id, "TRANSFERRING", **kw)], T0, events_since=T0)
    mirror.observe(
        tenant, [seen(job_id, status, **kw)], T0 + timedelta(hours=1, seconds=5), events_since=T0
    )


def drain(rounds: int = 30, threads: int = 4) -> None:
    """Deliver until nothing is due (retries come due after their short backoff)."""
    from jobs.notify.models import Delivery
    from jobs.notify.worker import deliver_due

    for _ in range(rounds):
        deliver_due(threads=threads)
        open_rows = Delivery.objects.exclude(state__in=["sent", "failed"])
        if not open_rows.exists():
            return
        time.sleep(0.05)


@pytest.fixture
def people_in(django_user_model):
    """people_in(tenant, "a", "b") → members a and b (viewers) with a@example.com, …"""
    from jobs.tenants.models import Membership

    def make(tenant, *names):
        users = []
        for name in names:
            user = django_user_model.objects.create_user(name, f"{name}@example.com", "pw")
            Membership.objects.create(user=user, tenant=tenant, role="viewer")
            users.append(user)
        return users

    return make
