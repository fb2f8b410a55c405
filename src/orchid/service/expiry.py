"""One timer for every deadline: a heap of (expiresAt, job id) and a single loop callback armed for
the earliest one. Entries are re-checked when they fire, so a moved deadline (extension) only needs
a new entry; the stale one is skipped."""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Callable

from orchid.service.clock import now_ms

log = logging.getLogger(__name__)


class ExpiryTimer:
    def __init__(self, on_due: Callable[[str], int | None]) -> None:
        """`on_due(job_id)` expires the job if it is due and returns its current deadline
        (None when it has none any more)."""
        self._on_due = on_due
        self._heap: list[tuple[int, str]] = []
        self._armed: tuple[int, asyncio.TimerHandle] | None = None

    def schedule(self, job_id: str, deadline_ms: int) -> None:
        heapq.heappush(self._heap, (deadline_ms, job_id))
        if self._armed is None or deadline_ms < self._armed[0]:
            self._arm()

    def close(self) -> None:
        if self._armed is not None:
            self._armed[1].cancel()
            self._armed = None

    def _arm(self) -> None:
        if self._armed is not None:
            self._armed[1].cancel()
            self._armed = None
        if not self._heap:
            return
        deadline = self._heap[0][0]
        delay = max(0.0, (deadline - now_ms()) / 1000)
        handle = asyncio.get_running_loop().call_later(delay, self._fire)
        self._armed = (deadline, handle)

    def _fire(self) -> None:
        self._armed = None
        now = now_ms()
        try:
            while self._heap and self._heap[0][0] <= now:
                _, job_id = heapq.heappop(self._heap)
                try:
                    current = self._on_due(job_id)
                except Exception:
                    # One job that cannot be expired must not stop every later deadline; it is
                    # tried again shortly.
                    log.exception("%s could not be expired; retrying in 1 s", job_id)
                    current = now + 1000
                if current is not None and current > now:
                    heapq.heappush(self._heap, (current, job_id))
        finally:
            self._arm()
