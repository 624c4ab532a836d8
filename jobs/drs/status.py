"""A job's status (drs-api.md §2), as a `str` that knows what it means."""

from __future__ import annotations

from typing import Any, ClassVar


def _key(text: str) -> str:
    """What we compare on: `_` reads as a space, whitespace collapsed, upper case."""
    return " ".join(text.replace("_", " ").split()).upper()


def _text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list, tuple, set)):
        return ""
    return str(value)


class JobStatus(str):
    """`JobStatus(" precheck_failed ")` → "PRECHECK FAILED"; an unknown value stays as received.

    A plain `str` to the database, templates and JSON; compares with plain strings.
    """

    TRANSFERRING: ClassVar[JobStatus]
    SUCCESS: ClassVar[JobStatus]
    FAILED: ClassVar[JobStatus]
    PRECHECK_FAILED: ClassVar[JobStatus]
    KNOWN: ClassVar[frozenset[str]] = frozenset(
        {"TRANSFERRING", "SUCCESS", "FAILED", "PRECHECK FAILED"}
    )

    def __new__(cls, value: Any = "") -> JobStatus:
        if type(value) is cls:
            return value
        text = _text(value)
        key = _key(text)
        return super().__new__(cls, key if key in cls.KNOWN else text)

    @property
    def is_known(self) -> bool:
        return str(self) in self.KNOWN

    @property
    def is_failed(self) -> bool:
        """Any status containing FAILED, known or not (as Terraform's provider reads them)."""
        return "FAILED" in _key(self)

    @property
    def is_terminal(self) -> bool:
        return self == "SUCCESS" or self.is_failed

    @property
    def is_running(self) -> bool:
        return self == "TRANSFERRING"


JobStatus.TRANSFERRING = JobStatus("TRANSFERRING")
JobStatus.SUCCESS = JobStatus("SUCCESS")
JobStatus.FAILED = JobStatus("FAILED")
JobStatus.PRECHECK_FAILED = JobStatus("PRECHECK FAILED")
