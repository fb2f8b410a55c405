"""Cooperative pacing for long work on the event loop.

Orchid serves every call from one event loop, and the store is called on it on purpose (see
store/repository.py). Work that grows with a request (a bulk create of thousands of jobs) is done
in small steps: after each step it calls `Pacer.tick()`, which yields to the loop once the work has
held it for `budget_seconds`. Other calls, follow streams and the expiry timer then wait at most
about one budget (plus one step) for the loop, however big the request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

# How long one piece of request work may hold the event loop before it lets others run.
DEFAULT_BUDGET_SECONDS = 0.002


class Pacer:
    def __init__(self, budget_seconds: float = DEFAULT_BUDGET_SECONDS) -> None:
        self.budget_seconds = budget_seconds
        self._since = time.perf_counter()
        self.yields = 0

    async def tick(self) -> None:
        """Yield to the event loop if this work has held it for a whole budget since the last
        yield; otherwise return at once."""
        if time.perf_counter() - self._since >= self.budget_seconds:
            await asyncio.sleep(0)
            self.yields += 1
            self._since = time.perf_counter()


class PerKeyLock:
    """One asyncio lock per key (a user), forgotten when nobody holds or waits for it.

    Work that yields (see `Pacer`) can interleave with other work of the same kind: a user's two
    bulk creates would both pass the per-user limits before either stored its jobs. Holding the
    user's lock from the checks to the write keeps them one at a time, without making other
    users wait."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)
