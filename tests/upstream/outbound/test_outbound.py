"""The red team's outbound findings (issue 18), each as it was exploited: with production
defaults, patched name resolution and listeners on 127.0.0.1, no connection may arrive.
Before the fix each of these reached the listener (or the address) it names."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from jobs import drs
from jobs.lib.addresses import is_public
from jobs.notify import services
from jobs.notify.messages import for_test
from jobs.notify.models import Channel, Delivery
from jobs.notify.targets import TargetRefused, checked, split
from jobs.notify.transport import SendError, send_to_channel
from jobs.notify.worker import send_test
from jobs.tenants.endpoints import endpoint_problem
from jobs.tenants.models import Membership, Tenant
from jobs.upstream import connect
from jobs.upstream.client import client_for
from tests.support import serving

from .conftest import PUBLIC, SECRET_URL_TOKEN

pytestmark = pytest.mark.django_db(transaction=True)


def stored(tenant, name: str, url: str) -> Channel:
    """A channel written as an older release accepted it: straight to the database, past
    every check a form or service makes now. The send must still refuse it."""
    channel = Channel(tenant=tenant, name=name, kind="webhook", language="en")
    channel.url = url
    channel.signing_secret = "s"
    channel.save()
    return channel


@pytest.fixture
def admin_client(client, ntenant, django_user_model):
    admin = django_user_model.objects.create_user("boss", "boss@example.com", "pw")
    Membership.objects.create(user=admin, tenant=ntenant, role="admin")
    client.force_login(admin)
    return client


def add(admin_client, tenant, url: str):
    return admin_client.post(
        f"/tenants/{tenant.slug}/notifications/channels/",
        {"name": "c", "url": url, "language": "en"},
    )


# -- a backslash walked past the URL check ---------------------------------------------------


def test_the_backslash_url_is_refused_and_never_connects(
    ntenant, listener, dns, admin_client, tripwire
):
    dns.names["pub.example"] = [PUBLIC]
    port = listener()
    url = f"json://127.0.0.1:{port.port}\\@pub.example/"
    response = add(admin_client, ntenant, url)
    assert response.status_code == 400
    assert "backslash" in response.content.decode()
    assert not Channel.objects.exists()
    delivery = send_test(stored(ntenant, "old", url))  # accepted by an older release
    assert delivery.state == Delivery.State.FAILED
    assert port.count() == 0 and not tripwire.reached(port.port)


def test_the_answers_no_longer_tell_open_ports_from_closed(ntenant, listener, dns):
    """The port scanner: backslash URLs aimed at 127.0.0.1 answered "HTTP 501" for an open
    port and "could not connect" for a closed one. Now both get the same refusal, and no
    connection is made."""
    dns.names["pub.example"] = [PUBLIC]
    open_port = listener()
    answers = set()
    for port in (open_port.port, 1):
        url = f"json://127.0.0.1:{port}\\@pub.example/"
        answers.add(send_test(stored(ntenant, f"p{port}", url)).last_error)
    assert len(answers) == 1 and "backslashes" in answers.pop()
    assert open_port.count() == 0


# -- Apprise fetched what it was told ------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ?template=http://127.0.0.1:{port}/t.json",
        "workflows://pub.example/wf/sig?template=http://127.0.0.1:{port}/t.json",
        "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ?template=file:///etc/hostname",
        "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ?verify=no",
        "workflows://pub.example/wf/sig?verify=no",
        "mailto://u:p@pub.example?to=a@example.com&pgpprv=/etc/shadow",
        "mailto://u:p@pub.example?to=a@example.com&wkd=yes",
        "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ?store=yes",
        "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ?rto=99999",
        "dingtalk://abcdefghijklmnop/?+X-Header=1",
    ],
)
def test_apprise_parameters_outside_the_allow_list_are_refused(url, dns, listener):
    dns.names["pub.example"] = [PUBLIC]
    with pytest.raises(TargetRefused):
        checked(url.format(port=listener().port))


class Opened:
    """Files opened while it watches (an audit hook: it sees every open())."""

    paths: list[str] = []
    watching = False
    installed = False

    @classmethod
    def hook(cls, event, args):
        if cls.watching and event == "open" and isinstance(args[0], str):
            cls.paths.append(args[0])


def test_a_stored_template_url_is_neither_fetched_nor_opened(ntenant, listener, tmp_path, dns):
    """Even past the allow-list (a row written before it), Apprise neither fetches a template
    (the guard, and Apprise's own allow_templates=False) nor opens a local file."""
    dns.names["hooks.slack.com"] = ["127.0.0.1"]  # Slack's own host, as an attacker's DNS says
    template = listener()
    secret_file = tmp_path / "hostname"
    secret_file.write_text("{}")
    if not Opened.installed:
        sys.addaudithook(Opened.hook)
        Opened.installed = True
    token = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
    for query in (
        f"?template=http://127.0.0.1:{template.port}/t.json",
        f"?template=file://{secret_file}",
    ):
        channel = stored(ntenant, query[-12:], token + query)
        Channel.objects.filter(pk=channel.pk).update(kind="slack")
        channel.refresh_from_db()
        Opened.paths, Opened.watching = [], True
        try:
            with pytest.raises(SendError):
                send_to_channel(channel, for_test(ntenant, "en"), "k")
        finally:
            Opened.watching = False
        assert str(secret_file) not in Opened.paths
    assert template.count() == 0


def test_slack_hosts_are_checked_at_connect_time(ntenant, dns, tripwire):
    """The vendor's fixed host is not in the URL, so only the guard can see where it points."""
    dns.names["hooks.slack.com"] = ["10.0.0.7"]
    channel, _ = services.add_channel(
        ntenant, "slack", "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", actor_name="t"
    )
    with pytest.raises(SendError) as failure:
        send_to_channel(channel, for_test(ntenant, "en"), "k")
    assert "10.0.0.7 is not a public address" in str(failure.value)
    assert failure.value.permanent
    assert not [a for a in tripwire.attempts if a[0] == "10.0.0.7"]


def test_no_redirect_is_followed_in_apprise_either(ntenant, settings, listener):
    """With private targets allowed on purpose, a Teams workflow endpoint answering 302 to
    another local port: the guard switches redirects off for every session in the send."""
    from http.server import BaseHTTPRequestHandler

    settings.NOTIFY_ALLOW_PRIVATE_TARGETS = True
    elsewhere = listener()

    class Redirect(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{elsewhere.port}/stolen")
            self.end_headers()

    with serving(Redirect) as server:
        channel, _ = services.add_channel(
            ntenant,
            "wf",
            f"workflow://127.0.0.1:{server.server_address[1]}/wf/sig",
            actor_name="t",
        )
        with pytest.raises(SendError):
            send_to_channel(channel, for_test(ntenant, "en"), "k")
    assert elsewhere.count() == 0


def test_no_redirect_is_followed_in_apprises_own_threads(ntenant, settings, listener):
    """Apprise hands service calls to its shared pool; the old guard (a thread-local flag)
    did not reach those threads, so a redirect there was followed. The guard is a context
    variable now, and Apprise copies the context into its pool."""
    from http.server import BaseHTTPRequestHandler

    import requests
    from apprise.apprise import get_shared_executor, submit_with_context

    from jobs.notify.transport import bounded

    settings.NOTIFY_ALLOW_PRIVATE_TARGETS = True  # loopback on purpose: only redirects matter
    elsewhere = listener()

    class Redirect(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{elsewhere.port}/stolen")
            self.end_headers()

    statuses = []

    with serving(Redirect) as server:

        def in_apprises_pool():
            call = submit_with_context(get_shared_executor(), requests.get, f"{server.url}/t.json")
            statuses.append(call.result(timeout=5).status_code)

        bounded(in_apprises_pool)
    assert statuses == [302]
    assert elsewhere.count() == 0


# -- DNS rebinding -------------------------------------------------------------------------------


def test_a_rebinding_webhook_name_is_refused_at_connect_time(ntenant, dns, listener, tripwire):
    target = listener()
    dns.rebinding("rebind.example", times=2)  # public to both checks, 127.0.0.1 to the connect
    channel, _ = services.add_channel(
        ntenant, "hook", f"json://rebind.example:{target.port}/h", actor_name="t"
    )  # the add-time check saw the public answer
    delivery = send_test(channel)
    assert delivery.state == Delivery.State.FAILED
    assert delivery.last_error == "refused: 127.0.0.1 is not a public address"
    assert target.count() == 0 and not tripwire.reached(target.port)


def test_a_rebinding_mail_server_is_refused_at_connect_time(ntenant, dns, tripwire):
    dns.rebinding("mx.rebind.example", times=2)
    channel, _ = services.add_channel(
        ntenant, "mail", "mailto://u:p@mx.rebind.example:2525?to=ops@example.com", actor_name="t"
    )
    delivery = send_test(channel)
    assert delivery.state == Delivery.State.FAILED
    assert "127.0.0.1 is not a public address" in delivery.last_error
    assert not tripwire.reached(2525)


@pytest.mark.parametrize("field", ["drs_endpoint", "iam_endpoint"])
def test_a_rebinding_drs_or_iam_endpoint_is_refused_at_connect_time(field, dns, tripwire):
    host = f"{field[:3]}.ap-southeast-3.myhuaweicloud.com"
    dns.rebinding(host)
    auth = "aksk" if field == "drs_endpoint" else "password"  # IAM is asked first, for a token
    tenant = Tenant(
        name="R",
        region="ap-southeast-3",
        project_id="p1",
        auth_method=auth,
        access_key="AK",
        iam_domain="d",
        iam_user="u",
        **{field: f"https://{host}"},
    )
    tenant.password = tenant.secret_key = "pw"
    tenant.save()
    assert endpoint_problem(f"https://{host}") is None  # the name check saw the public answer
    client = client_for(tenant)
    with pytest.raises(drs.OutboundRefused):
        client.list_jobs(limit=1)
    assert not tripwire.reached(443)


# -- NAT64 and 6to4 forms of internal addresses ---------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1",
        "64:ff9b::a00:1",
        "2002:7f00:1::1",
        "2002:a9fe:a9fe::1",
        "::ffff:127.0.0.1",
        "100.64.0.1",
    ],
)
def test_embedded_internal_addresses_are_refused(address, dns, ntenant, tripwire):
    dns.names["v6.example"] = [address]
    assert not is_public(address)
    with pytest.raises(TargetRefused):
        checked("jsons://v6.example/h")
    dns.names["drs.ap-southeast-3.myhuaweicloud.com"] = [address]
    from jobs.tenants import endpoints as guard

    guard._resolved.clear()
    assert endpoint_problem("https://drs.ap-southeast-3.myhuaweicloud.com") is not None
    channel = stored(ntenant, "v6", "jsons://v6.example/h")
    assert send_test(channel).state == Delivery.State.FAILED
    assert not [a for a in tripwire.attempts if a[0] == address]


# -- one parser, agreeing with the one that connects ---------------------------------------------

HOSTILE = [
    "json://127.0.0.1:29999\\@pub.example/",
    "json://pub.example\\@127.0.0.1/",
    "json://127.0.0.1:29999#@pub.example/",
    "json://127.0.0.1:29999?@pub.example/",
    "json://a@127.0.0.1@pub.example/",
    "json://pub.example%2f@127.0.0.1/",
    "json://pub.example:80:80/",
    "json://pub.example:99999999999999999999/",
    "json://pub.example:0/",
    "json://[::1]x/",
    "json://[::ffff:127.0.0.1]/",
    "json:// pub.example/",
    "json://pub.example\t/",
    "json://pub.example\r\n@127.0.0.1/",
    "json://pub.exａmple/",
    "json://127.1/",
    "json://0x7f000001/",
    "json://2130706433/",
    "json://pub.example./",
    "json://PUB.EXAMPLE/",
    "json://user:p%40ss@pub.example/",
    "jsons://pub.example/path?a=1&b=http://127.0.0.1/",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_our_parser_and_urllib3_agree_on_every_accepted_url(url, dns):
    """Both parsers get the same hostile string; whenever ours accepts it, urllib3 (what
    requests connects with) reads the same host and port."""
    from urllib3.util import parse_url

    dns.names.update({"pub.example": [PUBLIC], "pub.example.": [PUBLIC]})
    try:
        target = checked(url)
    except TargetRefused:
        return
    ours = split(url)
    theirs = parse_url("http" + url[url.index("://") :])
    assert (theirs.host or "").lower().strip("[]") == ours.host.lower() == target.host
    assert theirs.port == ours.port
    assert is_public(PUBLIC) and target.host in ("pub.example", "pub.example.")


def test_the_backslash_case_reads_two_ways_and_is_refused():
    from urllib3.util import parse_url

    url = "json://127.0.0.1:29999\\@pub.example/"
    assert parse_url("http" + url[4:]).host == "127.0.0.1"  # what requests would connect to
    with pytest.raises(TargetRefused):
        split(url)


def test_the_form_refuses_hostile_urls_with_a_400(admin_client, ntenant, dns):
    dns.names.update({"pub.example": [PUBLIC], "pub.example.": [PUBLIC]})
    for url in HOSTILE[:15]:
        response = add(admin_client, ntenant, url)
        assert response.status_code == 400, url
    assert not Channel.objects.exists()


# -- the opt-in still works --------------------------------------------------------------------


def test_private_targets_work_when_allowed_on_purpose(settings, webhook, receiver, ntenant):
    settings.NOTIFY_ALLOW_PRIVATE_TARGETS = True
    delivery = send_test(webhook("/ok"))
    assert delivery.state == Delivery.State.SENT
    assert [m["event"] for m in receiver.at(f"/ok?token={SECRET_URL_TOKEN}")] == ["test"]


def test_the_guard_reaches_threads_that_copy_the_context(listener):
    """Apprise hands work to pools with a copy of the caller's context: the guard goes along."""
    import contextvars
    import socket
    from concurrent.futures import ThreadPoolExecutor

    target = listener()

    def dial():
        with socket.socket() as sock:
            sock.settimeout(1)
            sock.connect(("127.0.0.1", target.port))

    with connect.guarded(connect.Policy()), ThreadPoolExecutor(1) as pool:
        context = contextvars.copy_context()
        with pytest.raises(connect.Refused):
            pool.submit(context.run, dial).result()
    assert target.count() == 0


def test_a_guarded_connect_by_name_resolves_once_and_dials_what_it_checked(dns, listener):
    import socket

    target = listener()
    dns.rebinding("twice.example", first="127.0.0.1", then=PUBLIC)
    with connect.guarded(connect.Policy(allow_private=True)), socket.socket() as sock:
        sock.settimeout(1)
        sock.connect(("twice.example", target.port))
        assert sock.getpeername()[0] == "127.0.0.1"
    assert dns.lookups.count("twice.example") == 1
    assert target.count() == 1


def test_unix_sockets_are_refused_in_the_guard(tmp_path):
    import socket

    policy = connect.Policy(allow_private=True)
    guard = connect.guarded(policy)
    with guard, socket.socket(socket.AF_UNIX) as sock, pytest.raises(connect.Refused):
        sock.connect(str(tmp_path / "docker.sock"))


def test_the_deadline_shuts_a_trickling_exchange_down(listener):
    """A server that sends a byte now and then never trips a read timeout; the guard's
    deadline ends the read anyway."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]

    def trickle():
        conn, _ = server.accept()
        for _ in range(50):
            try:
                conn.sendall(b"x")
            except OSError:
                break
            time.sleep(0.1)
        conn.close()

    threading.Thread(target=trickle, daemon=True).start()
    started = time.monotonic()
    policy = connect.Policy(allow_private=True, deadline=time.monotonic() + 0.5)
    with connect.guarded(policy), socket.socket() as sock:
        sock.settimeout(2)
        sock.connect(("127.0.0.1", port))
        while sock.recv(1):
            pass
    assert time.monotonic() - started < 1.5
    server.close()
