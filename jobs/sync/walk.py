"""Walking the job list page by page (drs-api.md §7): the one walker, which the sync uses.

Offsets advance by the number of items received (unusable ones included); a short page is not
the end (the server may cap `limit`); the walk ends on an empty page or once `offset` reaches
the `count` DRS reported (without one, on an empty page). A page cap and a page holding only
ids already seen end the walk as incomplete, so a misbehaving upstream cannot loop.

A walk may start at an `offset` (the sync resumes a long full walk where its last run stopped);
`offset` always holds where the next page would start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from jobs.drs import JobPage, JobSummary

REPEATED = "a page repeated ids already seen"
Fetch = Callable[[int, int], JobPage]  # (limit, offset) -> page


@dataclass
class Walk:
    fetch: Fetch
    limit: int
    max_pages: int
    complete: bool = False
    incomplete_reason: str = ""
    count: int | None = None  # the total DRS last reported, None if it never did
    skipped: int = 0  # list items that were not objects or had no usable id
    seen: set[str] = field(default_factory=set)
    offset: int = 0  # where the walk starts; then where its next page would start
    first_limit: int | None = None  # a smaller first page (the steady state reads only that)

    def pages(self) -> Iterator[list[JobSummary]]:
        """Each page's jobs not seen before; `complete` is set when the walk reached the end."""
        for number in range(self.max_pages):
            limit = self.first_limit if number == 0 and self.first_limit else self.limit
            page = self.fetch(limit, self.offset)
            if page.count_reported:
                self.count = page.count
            self.skipped += page.skipped
            if not page.received:
                self.complete = True
                return
            fresh = [job for job in page.jobs if job.id and job.id not in self.seen]
            if page.jobs and not fresh:
                self.incomplete_reason = REPEATED
                return
            if fresh:  # a page of only unusable items is skipped, not the end of the list
                self.seen.update(job.id for job in fresh)
                yield fresh
            self.offset += page.received
            if page.count_reported and self.offset >= page.count:
                self.complete = True
                return
        self.incomplete_reason = f"stopped after {self.max_pages} pages"
