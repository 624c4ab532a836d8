"""Text from upstream, tenants and users, made safe for an operator's terminal and the logs.

Tenant names, request ids and DRS messages can carry escape sequences (colours, cursor moves,
OSC window titles and hyperlinks), C1 controls, and bidi overrides that reorder what is shown.
`safe()` writes every such character as a visible escape (`\\x1b`, `\\u202e`), so nothing is
interpreted and nothing is silently lost; `json_text()` does the same for `--json` output, where
`json.dumps(ensure_ascii=False)` passes C1 and bidi controls through raw.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

# C0 and C1 controls and DEL; format characters (bidi embeddings, overrides and isolates,
# zero-width characters, BOM); line and paragraph separators.
_UNSAFE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    r"\u2060-\u206f\ufeff\ufff9-\ufffb]"
)


def _escape(match: re.Match) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: Any, keep: str = "") -> str:
    """`text` with every control, escape and bidi character written out visibly. `keep` lists
    characters to leave alone (e.g. "\\n" for multi-line output the caller produced)."""
    text = str(text)
    if not keep:
        return _UNSAFE.sub(_escape, text)
    return _UNSAFE.sub(lambda m: m.group(0) if m.group(0) in keep else _escape(m), text)


def _json_escape(match: re.Match) -> str:
    return f"\\u{ord(match.group(0)):04x}"


def json_text(value: Any, **kwargs) -> str:
    """json.dumps (readable non-ASCII kept) with C1, bidi and other invisible controls escaped
    as \\uXXXX: the same data for a parser, inert on a terminal."""
    text = json.dumps(value, ensure_ascii=False, **kwargs)
    # C0 inside strings is already escaped by json: a raw newline is `indent`'s formatting.
    return _UNSAFE.sub(lambda m: "\n" if m.group(0) == "\n" else _json_escape(m), text)


class ControlCharacterFilter(logging.Filter):
    """Escapes control characters in log messages: a request id or an upstream message with a
    newline or an escape sequence cannot forge log lines or drive the reader's terminal."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let the handler report it as usual
            return True
        cleaned = safe(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = safe(logging.Formatter().formatException(record.exc_info), "\n")
        return True
