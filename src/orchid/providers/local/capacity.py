"""First come, first served admission of jobs against fixed CPU and memory totals.

Strict FIFO: while any job waits, a new job waits behind it even if it would fit now, so a big job
at the head of the queue is never starved by a stream of small ones. The queue only counts; it does
not enforce limits on the processes (there are no cgroups here).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Resources:
    cpus: int
    memory_gib: int

    def __add__(self, other: Resources) -> Resources:
        return Resources(self.cpus + other.cpus, self.memory_gib + other.memory_gib)

    def __sub__(self, other: Resources) -> Resources:
        return Resources(self.cpus - other.cpus, self.memory_gib - other.memory_gib)

    def within(self, limit: Resources) -> bool:
        return self.cpus <= limit.cpus and self.memory_gib <= limit.memory_gib


class CapacityQueue(Generic[T]):
    """Tracks what running jobs hold and which jobs wait, in arrival order.

    Keys are job ids; `T` is whatever the caller needs back when a waiting job is admitted.
    """

    def __init__(self, total: Resources) -> None:
        self.total = total
        self._held: dict[str, Resources] = {}
        self._waiting: OrderedDict[str, tuple[Resources, T]] = OrderedDict()

    @property
    def in_use(self) -> Resources:
        used = Resources(0, 0)
        for need in self._held.values():
            used = used + need
        return used

    def could_ever_fit(self, need: Resources) -> bool:
        return need.within(self.total)

    def is_waiting(self, key: str) -> bool:
        return key in self._waiting

    def admit(self, key: str, need: Resources, item: T) -> bool:
        """Hold `need` for `key` now if nobody waits and it fits, else queue it. True if held."""
        if not self._waiting and self._fits_now(need):
            self._held[key] = need
            return True
        self._waiting[key] = (need, item)
        return False

    def occupy(self, key: str, need: Resources) -> None:
        """Hold `need` unconditionally: for jobs found running after a restart, which already
        use the machine whether or not the totals still allow it."""
        self._held[key] = need

    def release(self, key: str) -> None:
        self._held.pop(key, None)

    def withdraw(self, key: str) -> bool:
        """Remove a waiting job from the queue. True if it was waiting."""
        return self._waiting.pop(key, None) is not None

    def admit_waiting(self) -> list[T]:
        """Hold resources for waiting jobs from the head of the queue while they fit; return them
        in order. Stops at the first job that does not fit (no overtaking)."""
        admitted: list[T] = []
        while self._waiting:
            key, (need, item) = next(iter(self._waiting.items()))
            if not self._fits_now(need):
                break
            del self._waiting[key]
            self._held[key] = need
            admitted.append(item)
        return admitted

    def _fits_now(self, need: Resources) -> bool:
        return (self.in_use + need).within(self.total)
