"""Streamed CSV and JSON downloads. Cells that a spreadsheet would run as formulas are defused."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse

from jobs.drs import DrsError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    filename: str,
    header: list[str],
    rows: Iterable[list],
    *,
    describe: Callable[[DrsError], str] = str,
    incomplete: Sequence[str] = (),
) -> StreamingHttpResponse:
    """An upstream failure (mid-way, or known before: `incomplete`) ends the file with rows
    saying it is incomplete, and why."""
    writer = csv.writer(_Echo())

    def stream() -> Iterator[str]:
        yield "\ufeff"  # so spreadsheet programs read UTF-8 (Chinese names) correctly
        yield writer.writerow(header)
        problems = list(incomplete)
        try:
            for row in rows:
                yield writer.writerow([safe_cell(cell) for cell in row])
        except DrsError as error:
            problems.append(describe(error))
        for problem in problems:
            yield writer.writerow([safe_cell(f"# export incomplete: {problem}")])

    return _attachment(
        StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8"), filename
    )


def json_response(
    filename: str,
    key: str,
    items: Iterable[dict],
    *,
    describe: Callable[[DrsError], str] = str,
    incomplete: Sequence[str] = (),
    **extra,
) -> StreamingHttpResponse:
    """`{"<key>": [...], "complete": true, ...}`, streamed; `complete` is false after a failure,
    and `problem` says why."""

    def stream() -> Iterator[str]:
        yield "{" + "".join(f"{json.dumps(k)}: {json.dumps(v)}, " for k, v in extra.items())
        yield f"{json.dumps(key)}: ["
        problems = list(incomplete)
        try:
            for n, item in enumerate(items):
                yield ("," if n else "") + "\n" + json.dumps(item, ensure_ascii=False)
        except DrsError as error:
            problems.append(describe(error))
        ending = {"complete": not problems, "problem": "; ".join(problems) or None}
        yield "\n], " + json.dumps(ending)[1:] + "\n"

    return _attachment(StreamingHttpResponse(stream(), content_type="application/json"), filename)


def _attachment(response: StreamingHttpResponse, filename: str) -> StreamingHttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
