"""Streamed CSV and JSON downloads. Cells that a spreadsheet would run as formulas are defused."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse

from .drs import DrsError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(filename: str, header: list[str], rows: Iterable[list]) -> StreamingHttpResponse:
    """An upstream failure mid-way ends the file with a row saying it is incomplete."""
    writer = csv.writer(_Echo())

    def stream() -> Iterator[str]:
        yield "\ufeff"  # so spreadsheet programs read UTF-8 (Chinese names) correctly
        yield writer.writerow(header)
        try:
            for row in rows:
                yield writer.writerow([safe_cell(cell) for cell in row])
        except DrsError as error:
            yield writer.writerow([safe_cell(f"# export incomplete: {error}")])

    return _attachment(StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8"),
                       filename)  # fmt: skip


def json_response(filename: str, key: str, items: Iterable[dict], **extra) -> StreamingHttpResponse:
    """`{"<key>": [...], "complete": true, ...}`, streamed; `complete` is false after a failure."""

    def stream() -> Iterator[str]:
        yield "{" + "".join(f"{json.dumps(k)}: {json.dumps(v)}, " for k, v in extra.items())
        yield f"{json.dumps(key)}: ["
        problem = None
        try:
            for n, item in enumerate(items):
                yield ("," if n else "") + "\n" + json.dumps(item, ensure_ascii=False)
        except DrsError as error:
            problem = str(error)
        ending = {"complete": problem is None, "problem": problem}
        yield "\n], " + json.dumps(ending)[1:] + "\n"

    return _attachment(StreamingHttpResponse(stream(), content_type="application/json"), filename)


def _attachment(response: StreamingHttpResponse, filename: str) -> StreamingHttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
