"""Failures as the reader sees them: one cause per title. Signatures that the same hint
explains ("The backup comes from a newer SQL Server version" for 2019 → 2017 and 2022 → 2019)
are one cause; a message no hint explains is its own cause, titled by the message itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _

from jobs.fleet.selectors import GROUP_JOBS, Group
from jobs.hints import Hint

ROWS_SHOWN = 3  # jobs per cause before "show all"
ROWS_MAX = GROUP_JOBS


@dataclass
class Cause:
    title: str
    explained: bool  # a hint explains it (else the title is the message, blanked)
    hints: list[Hint]
    groups: list[Group] = field(default_factory=list)
    anchor: str = ""

    @property
    def count(self) -> int:
        return sum(g.count for g in self.groups)

    @property
    def first_seen(self) -> datetime | None:
        return min((g.first_seen for g in self.groups if g.first_seen), default=None)

    @property
    def last_seen(self) -> datetime | None:
        return max((g.last_seen for g in self.groups if g.last_seen), default=None)

    @property
    def signatures(self) -> list[str]:
        return [g.signature for g in self.groups]

    @property
    def jobs(self) -> list:
        """The newest jobs of all its messages, newest first."""
        jobs = [job for g in self.groups for job in g.jobs]
        jobs.sort(key=lambda j: (j.create_time is not None, j.create_time), reverse=True)
        return jobs[:ROWS_MAX]

    @property
    def first(self) -> list:
        return self.jobs[:ROWS_SHOWN]

    @property
    def rest(self) -> list:
        return self.jobs[ROWS_SHOWN:]

    @property
    def tenants(self) -> list[str]:
        return sorted({job.tenant.name for g in self.groups for job in g.jobs})

    @property
    def example(self) -> str:
        return self.groups[0].example if self.groups else ""

    @property
    def advice(self) -> str:
        return str(self.hints[0].advice) if self.explained else ""

    @property
    def more_hints(self) -> list[Hint]:
        """What else explains it, each said inside this cause (never "see also" elsewhere)."""
        return self.hints[1:]


def causes(groups: list[Group]) -> list[Cause]:
    """Largest first; each title once."""
    by_title: dict[str, Cause] = {}
    for group in groups:
        hints = group.hints
        if hints:
            title, explained = str(hints[0].title), True
        else:
            title, explained = group.signature or _("(no error log)"), False
        cause = by_title.setdefault(title, Cause(title, explained, list(hints)))
        for hint in hints:
            if hint.code not in {h.code for h in cause.hints}:
                cause.hints.append(hint)
        cause.groups.append(group)
    ordered = sorted(by_title.values(), key=lambda c: (-c.count, c.title))
    for number, cause in enumerate(ordered, start=1):
        cause.anchor = f"cause-{number}"
    return ordered
