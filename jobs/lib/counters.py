"""A counter of takes per window in the shared cache: at most `limit` in any `seconds`.

Each take holds one of `limit` slots, a `CacheLock` that lives `seconds`: taking is the cache's
atomic `add`, so parallel takers (threads, processes, and machines on Redis) each get their own
slot and no more than `limit` ever pass. Because every take expires `seconds` after it was
made, the limit holds in every window of that length, not just per clock minute (a counter
per fixed window lets twice the limit through across a window's edge). Giving a take back
frees its slot, and only its own: a slot that expired meanwhile and was taken again is left
to its new holder.

    counter = WindowedCounter(f"sync:permit:{tenant_id}", limit=30, seconds=60)
    if (take := counter.take()) is None:
        raise BudgetSpent
    ...
    counter.give_back(take)  # when the take should not count after all
"""

from __future__ import annotations

import random

from django.core.cache import BaseCache
from django.core.cache import cache as default_cache

from jobs.lib.locks import CacheLock


class WindowedCounter:
    def __init__(
        self, key: str, *, limit: int, seconds: float, cache: BaseCache | None = None
    ) -> None:
        self.key = key
        self.limit = max(int(limit), 0)
        self.seconds = seconds
        self.cache = cache if cache is not None else default_cache

    def _slots(self) -> list[str]:
        return [f"{self.key}:{n}" for n in range(self.limit)]

    def take(self) -> CacheLock | None:
        """One take, held for `seconds`; None once `limit` are held."""
        slots = self._slots()
        held = self.cache.get_many(slots)  # one round trip, also when the window is full
        free = [slot for slot in slots if slot not in held]
        random.shuffle(free)  # parallel takers mostly try different slots
        for slot in free:
            take = CacheLock(slot, seconds=self.seconds, cache=self.cache)
            if take.acquire():
                return take
        return None

    def give_back(self, take: CacheLock) -> None:
        """Free `take`'s slot, if it still holds it."""
        take.release()

    def count(self) -> int:
        """How many takes are held now."""
        return len(self.cache.get_many(self._slots()))
