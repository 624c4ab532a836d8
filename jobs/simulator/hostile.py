"""The bodies of the hostile-upstream faults: valid HTTP, content meant to break a client.

Each function takes the normal payload of a DRS read and returns what the fault sends instead;
`faults` documents the kinds and their parameters.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from jobs.simulator.replies import dump_json

EDGE_TIMES = (
    ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"),
    ("99999999999999999999", "-62135596800"),
    ("253402300800000", "1e308"),
    ("9999-12-31T23:59:59.999999999+14:00", "0000-00-00T00:00:00Z"),
)
HUGE_EPOCH = "99999999999999999999"
MISSING = object()
BAD_IDS: tuple[Any, ...] = (
    MISSING,
    "../x",
    "<script>alert(1)</script>",
    "",
    "../../admin/?x=1#y",
    "%2e%2e%2fetc%2fpasswd",
    " 0667845a-6291-4e2a-95b0-190c0abjb703 ",
    "a" * 5000,
    None,
    12345,
    "\u202etxt.exe",
    "id\r\nSet-Cookie: x=1",
)
CONTROL_TEXT = (
    "NUL\x00 BEL\x07 BS\x08 VT\x0b FF\x0c CR\r LF\n DEL\x7f "
    "C1 NEL\x85 CSI\x9b31m ST\x9c "
    "ANSI \x1b[31mred\x1b[0m \x1b[2J\x1b[H "
    "OSC \x1b]0;pwned title\x07 \x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\ "
    "bidi \u202eexe.txt\u202c \u2066isolate\u2069 \u200bzero-width"
)


def _dict(payload: Any) -> dict[str, Any] | None:
    return copy.deepcopy(payload) if isinstance(payload, dict) else None


def _items(payload: dict[str, Any]) -> list[dict[str, Any]]:
    jobs = payload.get("jobs")
    return [job for job in jobs if isinstance(job, dict)] if isinstance(jobs, list) else []


def deep_nesting(payload: Any, depth: int) -> bytes:
    """The normal object with one more key, `nested`, holding `depth` nested lists."""
    rest = dump_json(payload)[1:] if isinstance(payload, dict) and payload else b"}"
    separator = b"," if rest != b"}" else b""
    return b'{"nested":' + b"[" * depth + b"]" * depth + separator + rest


def edge_dates(payload: Any) -> Any:
    changed = _dict(payload)
    if changed is None:
        return payload
    if "jobs" in changed:
        for index, job in enumerate(_items(changed)):
            job["create_time"], job["finish_time"] = EDGE_TIMES[index % len(EDGE_TIMES)]
        return changed
    changed["create_time"], changed["finish_time"] = EDGE_TIMES[0]
    for entry in (changed.get("backup_info") or {}).get("file_info") or []:
        if isinstance(entry, dict):
            entry["file_last_modify"] = HUGE_EPOCH
    return changed


def bad_ids(payload: Any) -> Any:
    changed = _dict(payload)
    if changed is None:
        return payload
    targets = _items(changed) if "jobs" in changed else [changed]
    for index, job in enumerate(targets):
        bad = BAD_IDS[index % len(BAD_IDS)] if "jobs" in changed else "../x"
        if bad is MISSING:
            job.pop("id", None)
        else:
            job["id"] = bad
    return changed


def control_chars(payload: Any) -> Any:
    changed = _dict(payload)
    if changed is None:
        return payload
    for job in _items(changed) if "jobs" in changed else []:
        for key in ("name", "description", "error_log"):
            job[key] = f"{job.get(key) or ''} {CONTROL_TEXT}"
    if "jobs" not in changed:
        base = changed.setdefault("base_info", {})
        for key in ("name", "description"):
            base[key] = f"{base.get(key) or ''} {CONTROL_TEXT}"
        changed["error_log"] = f"{changed.get('error_log') or ''}\n{CONTROL_TEXT}"
        changed["instance_name"] = CONTROL_TEXT
        for entry in (changed.get("backup_info") or {}).get("file_info") or []:
            if isinstance(entry, dict):
                entry["file_name"] = f"{CONTROL_TEXT}{entry.get('file_name', '')}"
    return changed


def huge_files(payload: Any, count: int) -> Any:
    changed = _dict(payload)
    if changed is None or "jobs" in changed:
        return payload
    backup = changed.setdefault("backup_info", {})
    backup["file_info"] = [
        {
            "file_name": f"SalesDB_LOG_20240819T{index // 3600 % 24:02d}{index // 60 % 60:02d}_"
            f"{index:06d}.trn",
            "file_size": f"{(index * 7919) % 900 + 1}MB",
            "file_last_modify": str(1706511360000 + index * 60_000),
        }
        for index in range(count)
    ]
    return changed


def huge_body(payload: Any, size: int) -> bytes:
    """A well-formed body of at least `size` bytes: the bulk is a long SQL Server error log."""
    changed = _dict(payload)
    if changed is None:
        return dump_json(payload)
    holder = (_items(changed) or [changed])[0] if "jobs" in changed else changed
    line = (
        'Msg 3203, Level 16, State 1, Line 1\nRead on "D:\\RDSDBDATA\\Backup\\SalesDB.bak" '
        "failed: 23(Data error (cyclic redundancy check).)\n"
    )
    holder["error_log"] = line * (size // len(line) + 1)
    return json.dumps(changed, ensure_ascii=False).encode()
