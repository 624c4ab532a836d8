"""IAM password tokens: fetched once, shared, refreshed exactly once on 401."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from jobs.drs import AuthenticationFailed, UpstreamUnavailable
from jobs.drs.auth import OutgoingRequest, TokenCache
from tests.conftest import FAST
from tests.support import EXAMPLE_ID, serving


def test_token_reused_across_requests_and_clients(simulator, make_client):
    before = simulator.tokens_issued
    for _ in range(3):
        make_client("token").get_job(EXAMPLE_ID)  # a new client each time, one token cache
    assert simulator.tokens_issued - before == 1
    assert simulator.calls() == 3


def test_concurrent_first_fetch_gets_one_token(simulator, make_client):
    drs_client = make_client("token")
    simulator.set_fault("delay", target="*", seconds=0.2, count=1)  # slow the first DRS call only
    before = simulator.tokens_issued
    start = threading.Barrier(16)

    def fetch(_):
        start.wait()
        return drs_client.get_job(EXAMPLE_ID).id

    with ThreadPoolExecutor(16) as pool:
        assert set(pool.map(fetch, range(16))) == {EXAMPLE_ID}
    assert simulator.tokens_issued - before == 1


def test_expired_token_is_refreshed_once(token_client, simulator):
    token_client.get_job(EXAMPLE_ID)
    before = simulator.tokens_issued
    simulator.expire_tokens()
    assert token_client.get_job(EXAMPLE_ID).id == EXAMPLE_ID
    assert simulator.tokens_issued - before == 1


def test_persistent_401_refreshes_exactly_once(token_client, simulator):
    token_client.get_job(EXAMPLE_ID)
    before_tokens, before_calls = simulator.tokens_issued, simulator.calls()
    simulator.set_fault("expired_token", target="*")
    with pytest.raises(AuthenticationFailed) as caught:
        token_client.get_job(EXAMPLE_ID)
    assert caught.value.status == 401
    assert simulator.tokens_issued - before_tokens == 1
    assert simulator.calls() - before_calls == 2


def test_concurrent_401s_refresh_once(token_client, simulator):
    token_client.get_job(EXAMPLE_ID)
    before = simulator.tokens_issued
    simulator.expire_tokens()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: token_client.get_job(EXAMPLE_ID), range(8)))
    assert simulator.tokens_issued - before == 1


def test_token_refreshed_before_expiry():
    cache = TokenCache()
    issued = []

    def fetch():
        from datetime import UTC, datetime, timedelta

        issued.append(1)
        return f"t{len(issued)}", datetime.now(UTC) + timedelta(seconds=1)

    assert cache.get("k", fetch) == "t1"
    assert cache.get("k", fetch) == "t1"
    time.sleep(1.0)  # a tenth of the 1 s lifetime is the margin: 0.9 s in, it is stale
    assert cache.get("k", fetch) == "t2"


def test_invalidate_ignores_a_token_already_replaced():
    cache = TokenCache()
    tokens = iter(["a", "b"])
    cache.get("k", lambda: (next(tokens), None))
    cache.invalidate("k", "a")
    assert cache.get("k", lambda: (next(tokens), None)) == "b"
    cache.invalidate("k", "a")  # a late 401 for the old token must not drop the new one
    assert cache.get("k", lambda: ("c", None)) == "b"


def test_secrets_never_in_repr(token_client, token_cache, password_credentials):
    request = OutgoingRequest("GET", "h", "/", "", {})
    token_client.auth.authorize(request)
    token = request.headers["X-Auth-Token"]
    assert token
    assert token not in repr(token_cache._tokens)
    assert password_credentials.password not in repr(password_credentials)


def test_a_failing_iam_is_asked_once_by_waiting_threads():
    from jobs.drs import AuthenticationFailed as Refused

    cache = TokenCache()
    attempts = []

    def fetch():
        attempts.append(1)
        time.sleep(0.1)
        raise Refused("The username or password is wrong.", status=401)

    def get(_):
        try:
            cache.get("k", fetch)
        except Refused:
            return "refused"

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(get, range(8))) == {"refused"}
    assert len(attempts) == 1


def test_a_slow_iam_counts_against_the_drs_calls_deadline(make_client):
    """The token refresh late in a DRS call gets what is left of that call's time, not its own."""
    import dataclasses
    import http.server

    tokens = []

    class Gateway(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # IAM: the first token comes at once, the refresh hangs
            self.rfile.read(int(self.headers["Content-Length"]))
            tokens.append(1)
            if len(tokens) > 1:
                time.sleep(3)
            self.send_response(201)
            self.send_header("X-Subject-Token", f"token-{len(tokens)}")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def do_GET(self):  # DRS: a slow 401, as for a revoked token
            time.sleep(0.6)
            body = b'{"error_code": "APIG.0301", "error_msg": "token expires"}'
            self.send_response(401)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    with serving(Gateway) as server:
        client = make_client(
            "token",
            project_id="p1",
            drs_endpoint=server.url,
            iam_endpoint=server.url,
            settings=dataclasses.replace(FAST, read_timeout=10, deadline=1.0),
        )
        started = time.monotonic()
        with pytest.raises(UpstreamUnavailable, match="Timed out"):
            client.get_job(EXAMPLE_ID)
        assert time.monotonic() - started < 1.4  # not 0.6 s + a whole second deadline for IAM
        assert len(tokens) == 2
