"""How the management commands print: facts, sections and tables in terminal columns, with
untrusted text made safe."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from jobs.lib.terminal import safe


def utc(value: datetime | None, suffix: str = "") -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") + suffix if value else "—"


def clean(text: str, multiline: bool = False) -> str:
    """DRS text is untrusted: control, escape and bidi characters are shown, never sent."""
    return safe(text.replace("\r\n", "\n"), keep="\n\t") if multiline else safe(text)


def width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    return text + " " * (columns - width(text))


def facts(pairs: Sequence[tuple[str, str]]) -> list[str]:
    label = max(width(k) for k, _ in pairs) + 1
    return [f"{pad(k + ':', label)} {v}" for k, v in pairs]


def section(title: str) -> list[str]:
    return ["", title, "-" * width(title)]


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    rows = list(rows)
    widths = [max(width(str(c)) for c in column) for column in zip(headers, *rows, strict=False)]
    return [
        "  ".join(pad(str(c), w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in (headers, *rows)
    ]
