"""In-process notifications: "job X changed" (state, updates or logs). Followers re-read what they
need after a wake-up, so a missed or coalesced notification can never lose data."""

from __future__ import annotations

import asyncio
from collections import defaultdict


class Subscription:
    def __init__(self, bus: JobEvents, job_id: str) -> None:
        self._bus = bus
        self.job_id = job_id
        self._changed = asyncio.Event()

    def notify(self) -> None:
        self._changed.set()

    @property
    def changed(self) -> bool:
        """Whether the job changed since the subscription was made (or last waited for)."""
        return self._changed.is_set()

    async def wait(self, timeout: float) -> bool:
        """Wait for a change; True if one happened, False on timeout."""
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            return False
        self._changed.clear()
        return True

    def close(self) -> None:
        self._bus._remove(self)


class JobEvents:
    def __init__(self) -> None:
        self._subs: dict[str, set[Subscription]] = defaultdict(set)

    def subscribe(self, job_id: str) -> Subscription:
        sub = Subscription(self, job_id)
        self._subs[job_id].add(sub)
        return sub

    def has_subscribers(self, job_id: str) -> bool:
        return bool(self._subs.get(job_id))

    def publish(self, job_id: str) -> None:
        for sub in self._subs.get(job_id, ()):
            sub.notify()

    def _remove(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.job_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.job_id]
