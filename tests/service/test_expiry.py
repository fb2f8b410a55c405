"""The one expiry timer: deadlines fire in order, moved deadlines are re-checked, and one bad
job cannot stop the others from expiring."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from orchid.service.clock import now_ms
from orchid.service.expiry import ExpiryTimer
from tests.service.helpers import asynchronous


class Deadlines:
    """A stand-in for the service's `_expire_if_due`: a table of deadlines, and what fired."""

    def __init__(self) -> None:
        self.deadline: dict[str, int] = {}
        self.fired: list[tuple[str, int]] = []
        self.broken: set[str] = set()
        self.changed = asyncio.Event()

    def on_due(self, job_id: str) -> int | None:
        if job_id in self.broken:
            raise RuntimeError(f"database unavailable while expiring {job_id}")
        deadline = self.deadline.get(job_id)
        if deadline is None:
            return None
        if deadline > now_ms():
            return deadline
        self.fired.append((job_id, now_ms()))
        del self.deadline[job_id]
        self.changed.set()
        return None

    async def until(self, condition: Callable[[], bool], timeout: float = 2.0) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not condition():
            remaining = end - loop.time()
            if remaining <= 0:
                raise AssertionError(f"only {self.fired} fired in {timeout} s")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)


@asynchronous
async def test_deadlines_fire_in_order_and_on_time() -> None:
    jobs = Deadlines()
    timer = ExpiryTimer(jobs.on_due)
    start = now_ms()
    # Scheduled out of order, one already past
    for job_id, offset in (("late", 300), ("early", 100), ("past", -5_000), ("middle", 200)):
        jobs.deadline[job_id] = start + offset
        timer.schedule(job_id, start + offset)
    try:
        await jobs.until(lambda: len(jobs.fired) == 4)
    finally:
        timer.close()

    assert [j for j, _ in jobs.fired] == ["past", "early", "middle", "late"]
    offsets = {"past": -5_000, "early": 100, "middle": 200, "late": 300}
    for job_id, at in jobs.fired:
        due = start + offsets[job_id]
        assert at >= due
        assert at - max(due, start) < 1000


@asynchronous
async def test_a_moved_deadline_is_honoured_through_the_stale_entry() -> None:
    jobs = Deadlines()
    timer = ExpiryTimer(jobs.on_due)
    start = now_ms()
    jobs.deadline["job"] = start + 100
    timer.schedule("job", start + 100)
    # Extended before it fired: the table moves, the timer only learns of it when the entry fires
    jobs.deadline["job"] = start + 300
    try:
        await jobs.until(lambda: bool(jobs.fired))
    finally:
        timer.close()

    ((_, at),) = jobs.fired
    assert start + 300 <= at < start + 1300


@asynchronous
async def test_a_job_without_a_deadline_any_more_is_dropped() -> None:
    jobs = Deadlines()
    timer = ExpiryTimer(jobs.on_due)
    start = now_ms()
    timer.schedule("gone", start + 50)  # e.g. it ended before its deadline
    jobs.deadline["other"] = start + 150
    timer.schedule("other", start + 150)
    try:
        await jobs.until(lambda: bool(jobs.fired))
    finally:
        timer.close()
    assert [j for j, _ in jobs.fired] == ["other"]


@asynchronous
async def test_one_job_failing_to_expire_does_not_stop_the_others() -> None:
    jobs = Deadlines()
    timer = ExpiryTimer(jobs.on_due)
    start = now_ms()
    # Given two jobs, the first of which cannot be expired (its database write fails)
    jobs.broken.add("broken")
    jobs.deadline["broken"] = start + 50
    timer.schedule("broken", start + 50)
    jobs.deadline["healthy"] = start + 150
    timer.schedule("healthy", start + 150)
    try:
        # Then the second one still expires on time
        await jobs.until(lambda: bool(jobs.fired), timeout=1.5)
    finally:
        timer.close()
    assert [j for j, _ in jobs.fired] == ["healthy"]
