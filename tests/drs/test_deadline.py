"""The deadline bounds the whole exchange, whatever the server does: a server that trickles
its headers or body a byte at a time (each byte well within the read timeout) is cut off at
the deadline, for DRS calls and for the IAM token POST alike."""

from __future__ import annotations

import time

import pytest

from jobs.drs import ClientSettings, UpstreamUnavailable
from tests.drs.fake_upstream import FakeUpstream, fake_client, send_json, trickle
from tests.support import EXAMPLE_ID

# Each byte comes well inside the read timeout; the whole answer would take ~10 s.
SLOW = ClientSettings(connect_timeout=1.0, read_timeout=1.0, deadline=1.5, backoff=0.05)
EVERY = 0.25
MARGIN = 0.75
BODY = b'{"id": "' + EXAMPLE_ID.encode() + b'", "status": "SUCCESS"}'


def trickled_headers(handler) -> None:
    trickle(handler, b"HTTP/1.1 200 OK\r\nX-Padding: " + b"x" * 40 + b"\r\n\r\n", EVERY)


def trickled_body(handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", str(len(BODY)))
    handler.end_headers()
    trickle(handler, BODY, EVERY)


def trickled_chunks(handler) -> None:
    handler.send_response(200)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    for byte in BODY:
        trickle(handler, b"1\r\n" + bytes([byte]) + b"\r\n", EVERY / 5)
    handler.wfile.write(b"0\r\n\r\n")


def trickled_until_close(handler) -> None:
    handler.send_response(200)
    handler.send_header("Connection", "close")
    handler.end_headers()
    trickle(handler, BODY, EVERY)
    handler.close_connection = True


def assert_cut_off_at_the_deadline(call) -> None:
    started = time.monotonic()
    with pytest.raises(UpstreamUnavailable, match="Timed out"):
        call()
    assert time.monotonic() - started < SLOW.deadline + MARGIN


@pytest.mark.parametrize(
    "respond", [trickled_headers, trickled_body, trickled_chunks, trickled_until_close]
)
def test_a_trickling_drs_answer_is_cut_off(respond):
    with FakeUpstream(respond) as upstream:
        client = fake_client(upstream.url, SLOW)
        assert_cut_off_at_the_deadline(lambda: client.get_job(EXAMPLE_ID))


@pytest.mark.parametrize("respond", [trickled_headers, trickled_body])
def test_a_trickling_token_answer_is_cut_off(respond):
    def drs(handler) -> None:
        send_json(handler, 200, {"id": EXAMPLE_ID})

    with FakeUpstream(respond) as iam, FakeUpstream(drs) as upstream:
        client = fake_client(upstream.url, SLOW, iam_url=iam.url)
        assert_cut_off_at_the_deadline(lambda: client.get_job(EXAMPLE_ID))
    assert upstream.calls == 0


def test_a_quick_answer_after_a_cut_off_one_still_works():
    answers = iter([trickled_body, lambda h: send_json(h, 200, {"id": EXAMPLE_ID})])
    with FakeUpstream(lambda handler: next(answers)(handler)) as upstream:
        client = fake_client(upstream.url, SLOW)
        assert_cut_off_at_the_deadline(lambda: client.get_job(EXAMPLE_ID))
        assert client.get_job(EXAMPLE_ID).id == EXAMPLE_ID
