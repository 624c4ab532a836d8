"""Walking every page of the list (drs-api.md §7), safely against a misbehaving upstream."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from jobs.drs.models import JobPage, JobSummary

DEFAULT_MAX_PAGES = 200

# Why a walk ended. Complete: the upstream ran out of jobs. Incomplete: we stopped early.
EMPTY_PAGE = "empty_page"
COUNT_REACHED = "count_reached"
PAGE_CAP = "page_cap"
REPEATED_PAGE = "repeated_page"
STOPPED = "stopped"
ERROR = "error"


class JobWalk:
    """Every matching job once, page by page. Iterate it; afterwards `complete`, `reason`,
    `count` (the upstream total, None if never reported) and `calls` say how it went.

    Filters and sort stay fixed; the offset grows by the items received; the walk ends on an
    empty page or once the offset reaches `count`, never on a short page (the server may cap
    the limit). It stops early, incomplete, after `max_pages` calls, when a page brings only
    ids already seen, or when `should_stop()` (asked before each call) says so. A DrsError
    propagates with `reason` "error".
    """

    def __init__(
        self,
        fetch: Callable[[int, int], JobPage],
        *,
        page_size: int,
        max_pages: int = DEFAULT_MAX_PAGES,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self._fetch = fetch
        self.page_size = page_size
        self.max_pages = max_pages
        self._should_stop = should_stop
        self.complete = False
        self.reason = ""
        self.count: int | None = None
        self.calls = 0

    def __iter__(self) -> Iterator[JobSummary]:
        self.complete, self.reason, self.count, self.calls = False, "", None, 0
        try:
            yield from self._walk()
        except Exception:
            self.reason = ERROR
            raise

    def _walk(self) -> Iterator[JobSummary]:
        seen: set[str] = set()
        offset = 0
        while True:
            if self._should_stop is not None and self._should_stop():
                self.reason = STOPPED
                return
            if self.calls >= self.max_pages:
                self.reason = PAGE_CAP
                return
            page = self._fetch(self.page_size, offset)
            self.calls += 1
            if page.count_reported:
                self.count = page.count
            if page.received == 0:
                self._finish(EMPTY_PAGE)
                return
            fresh = 0
            for job in page.jobs:
                if job.id not in seen:
                    seen.add(job.id)
                    fresh += 1
                    yield job
            if page.jobs and not fresh:
                self.reason = REPEATED_PAGE
                return
            offset += page.received
            if page.count_reported and offset >= page.count:
                self._finish(COUNT_REACHED)
                return

    def _finish(self, reason: str) -> None:
        self.complete, self.reason = True, reason
