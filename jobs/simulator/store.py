"""Jobs as stored (the detail response plus private metadata), live lifecycles, and the
thread-safe in-memory store of one project."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

STATUSES = ("TRANSFERRING", "SUCCESS", "FAILED", "PRECHECK FAILED")
TERMINAL_OUTCOMES = ("SUCCESS", "FAILED", "PRECHECK FAILED")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def format_time(epoch: float) -> str:
    return time.strftime(TIME_FORMAT, time.gmtime(epoch))


def parse_time(value: str) -> float | None:
    try:
        return datetime.strptime(value, TIME_FORMAT).replace(tzinfo=UTC).timestamp()
    except (TypeError, ValueError):
        return None


@dataclass
class Lifecycle:
    """A live job: TRANSFERRING until started + duration, then its outcome."""

    started: float
    duration: float
    outcome: str
    error_log: str = ""

    def done(self, now: float) -> bool:
        return now >= self.started + self.duration


@dataclass
class Job:
    data: dict[str, Any]  # the detail response as stored
    created: float
    ip: str = ""
    lifecycle: Lifecycle | None = None

    @property
    def id(self) -> str:
        return str(self.data["id"])

    def view(self, now: float, deep: bool = True) -> dict[str, Any]:
        """The detail response at `now`; live jobs get their status from the clock. `deep=False`
        shares the nested parts with the store: only for readers that never change them."""
        data = copy.deepcopy(self.data) if deep else dict(self.data)
        life = self.lifecycle
        if life is None:
            return data
        if life.done(now):
            data["status"] = life.outcome
            data["finish_time"] = format_time(life.started + life.duration)
            data["error_log"] = life.error_log
        else:
            data["status"] = "TRANSFERRING"
            data.pop("finish_time", None)
            data["error_log"] = ""
        return data


class JobStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._jobs)

    def add(self, job: Job) -> str:
        with self._lock:
            self._jobs[job.id] = job
        return job.id

    def ids(self) -> list[str]:
        with self._lock:
            return list(self._jobs)

    def job(self, job_id: str) -> Job | None:
        """The stored record with its private metadata (a live reference, handle with care)."""
        with self._lock:
            return self._jobs.get(job_id)

    def get(self, job_id: str, now: float | None = None) -> dict[str, Any] | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return job.view(time.time() if now is None else now) if job else None

    def find(self, name: str) -> dict[str, Any] | None:
        """The first job whose base_info.name equals `name` (for tests and demos)."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            if (job.data.get("base_info") or {}).get("name") == name:
                return self.get(job.id)
        return None

    def views(self, now: float | None = None) -> list[tuple[Job, dict[str, Any]]]:
        """Every job with its shallow view at `now` (readers must not change the views)."""
        moment = time.time() if now is None else now
        with self._lock:
            return [(job, job.view(moment, deep=False)) for job in self._jobs.values()]

    def remove(self, job_id: str) -> bool:
        with self._lock:
            return self._jobs.pop(job_id, None) is not None

    def change(self, job_id: str, edit: Callable[[Job], None]) -> bool:
        """Run `edit` on the stored job under the lock; False if there is no such job."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return False
            edit(job)
            return True
