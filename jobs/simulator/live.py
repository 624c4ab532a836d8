"""Keeps a demo alive: a thread that starts a new live job in every project at an interval."""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Callable

KEPT_JOBS = 200  # per project; older finished jobs this thread started are deleted

# (project id, duration, outcome) -> the job id started, or None when none was
StartJob = Callable[[str, float, str], str | None]
RemoveJob = Callable[[str, str], bool]  # (project id, job id) -> removed (False if running)


class LiveFeeder:
    def __init__(
        self,
        interval: float,
        project_ids: list[str],
        start_job: StartJob,
        remove_finished: RemoveJob,
        seed: int = 0,
    ) -> None:
        if interval <= 0:
            raise ValueError("keep_running_seconds must be > 0")
        self.interval = interval
        self._projects = project_ids
        self._start_job = start_job
        self._remove_finished = remove_finished
        self._rng = random.Random(seed)
        self._started: dict[str, deque[str]] = {pid: deque() for pid in project_ids}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="drs-live-feeder", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def tick(self) -> None:
        for project_id in self._projects:
            duration = self._rng.uniform(1.5, 6) * self.interval
            outcome = self._rng.choices(("SUCCESS", "FAILED"), (3, 1))[0]
            started = self._started[project_id]
            job_id = self._start_job(project_id, duration, outcome)
            if job_id is not None:
                started.append(job_id)
            while len(started) > KEPT_JOBS and self._remove_finished(project_id, started[0]):
                started.popleft()

    def _run(self) -> None:
        self.tick()
        while not self._stop.wait(self.interval):
            self.tick()
