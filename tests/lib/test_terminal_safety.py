"""Text from tenants, users and upstream cannot drive the operator's terminal or forge log
lines: escape sequences, C0/C1 controls and bidi overrides are written out visibly."""

from __future__ import annotations

import json
import logging

import pytest

from jobs.drs import DrsError
from jobs.lib import terminal
from jobs.lib.terminal import json_text, safe
from jobs.tenants.models import Tenant
from jobs.upstream.single_flight import Outcome
from tests.tenants.test_cli import run

HOSTILE = [
    "\x1b[2J\x1b[31mred",  # clear screen, colour
    "\x1b]0;owned\x07title",  # OSC window title
    "\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x9b31mC1 CSI",  # C1 CSI
    "\x85next line",  # C1 NEL
    "abc\u202edcba",  # right-to-left override
    "\u2066isolate\u2069",
    "line\nforged: entry",
    "carriage\rreturn",
    "zero\u200bwidth",
    "del\x7f",
]
UNSAFE_CHARS = set("\x1b\x07\x9b\x85\u202e\u2066\u2069\n\r\u200b\x7f")


@pytest.mark.parametrize("text", HOSTILE)
def test_safe_leaves_no_control_character(text):
    cleaned = safe(text)
    assert not (set(cleaned) & UNSAFE_CHARS), repr(cleaned)
    assert "\\x1b" in cleaned or "\\u" in cleaned or "\\x" in cleaned  # shown, not dropped


def test_safe_keeps_ordinary_text():
    text = "Acme 生产 — café ✓ 🚀 tab-free"
    assert safe(text) == text
    assert safe("a\nb", keep="\n") == "a\nb"


@pytest.mark.parametrize("text", HOSTILE)
def test_json_text_escapes_c1_and_bidi_and_round_trips(text):
    out = json_text({"name": text, "ok": "中文"})
    assert not (set(out) & UNSAFE_CHARS), repr(out)
    assert "中文" in out
    assert json.loads(out) == {"name": text, "ok": "中文"}


@pytest.mark.django_db
def test_tenant_cli_output_is_escaped(simulator, make_tenant, monkeypatch):
    name = "\x1b]0;owned\x07Acme\u202eorp\x9b2J"
    tenant = make_tenant(name=name)
    listed = run("list")
    assert not (set(listed) & UNSAFE_CHARS - {"\n"}), repr(listed)
    assert "Acme" in listed and Tenant.objects.get(pk=tenant.pk).name == name

    from jobs.management.commands import tenant as command

    monkeypatch.setattr(
        command,
        "check_connection",
        lambda t: Outcome(
            None, DrsError("x", error_msg="DRS said \x1b[2Jboom\nforged", request_id="\x9b"), None
        ),
    )
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as error:
        run("test", tenant.slug)
    assert not (set(str(error.value)) & UNSAFE_CHARS), repr(str(error.value))


def test_log_lines_escape_control_characters():
    """The console handler configured in settings carries the filter."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, terminal.ControlCharacterFilter) for f in h.filters)
    )
    record = logging.LogRecord(
        "jobs.drs.client",
        logging.INFO,
        __file__,
        1,
        "DRS %s → %s, request id %s",
        ("GET", 200, "abc\n2026-01-01 INFO forged\x1b[2J"),
        None,
    )
    assert handler.filter(record)
    line = handler.format(record)
    assert "\n" not in line and "\x1b" not in line
    assert "request id abc\\x0a2026-01-01 INFO forged\\x1b[2J" in line
