"""Creates of many items are done in steps that yield to the event loop (service/pacing.py), and
stay correct when they interleave: one user's creates still respect the per-user limits, and a
create whose jobs cannot all be stored stores none."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from orchid.domain.limits import Limits
from orchid.errors import TooManyRequests
from orchid.service.pacing import Pacer, PerKeyLock
from orchid.store.repository import Store
from tests.fakes import FakeProvider
from tests.service.helpers import ALICE, asynchronous, running, shell


@asynchronous
async def test_a_big_create_lets_other_work_run_while_it_goes(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        service.limits = Limits(max_bulk_items=2000, max_queued_jobs_per_user=2000)
        # Given another task that only needs the event loop now and then
        turns = 0
        done = asyncio.Event()

        async def other() -> None:
            nonlocal turns
            while not done.is_set():
                turns += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(other())
        # When a create of 2,000 jobs runs, pacing its work in steps of at most 1 ms
        pacer = Pacer(budget_seconds=0.001)
        ids = await service.create(ALICE, [shell("true", allow_duplicate=True)] * 2000, pacer)
        done.set()
        await task

        # Then it yielded to the loop many times, and the other task ran each time
        assert len(ids) == 2000
        assert pacer.yields >= 10
        assert turns >= pacer.yields


@asynchronous
async def test_one_users_creates_run_one_at_a_time_and_keep_the_limits(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        service.limits = Limits(max_queued_jobs_per_user=3)
        # When two creates of two jobs each run at once, both yielding at every step
        results = await asyncio.gather(
            service.create(
                ALICE, [shell("true", allow_duplicate=True)] * 2, Pacer(budget_seconds=0)
            ),
            service.create(
                ALICE, [shell("true", allow_duplicate=True)] * 2, Pacer(budget_seconds=0)
            ),
            return_exceptions=True,
        )

        # Then only one fits under the limit of 3 queued jobs; the other is refused
        refused = [r for r in results if isinstance(r, TooManyRequests)]
        assert len(refused) == 1, results
        assert refused[0].error_code == "TOO_MANY_QUEUED_JOBS"
        assert store.count_jobs() == 2


@asynchronous
async def test_a_create_whose_jobs_cannot_all_be_stored_stores_none(
    store: Store, fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(store, fake) as service:
        # Given a database that fails on the third chunk of a big create
        insert = store.insert_jobs
        calls = 0

        def failing_insert(*args: Any, **kwargs: Any) -> list[str]:
            nonlocal calls
            calls += 1
            if calls == 3:
                raise OperationalError("INSERT", {}, Exception("database or disk is full"))
            return insert(*args, **kwargs)

        monkeypatch.setattr(store, "insert_jobs", failing_insert)

        # When 250 jobs are created
        with pytest.raises(OperationalError):
            await service.create(ALICE, [shell("true", allow_duplicate=True)] * 250)

        # Then none is stored, and none reached the provider
        assert store.count_jobs() == 0
        assert fake.submitted == []


@asynchronous
async def test_per_key_locks_are_forgotten_once_free() -> None:
    locks = PerKeyLock()
    order: list[str] = []

    async def hold(name: str) -> None:
        async with locks.hold("alice"):
            order.append(f"{name} in")
            await asyncio.sleep(0)
            order.append(f"{name} out")

    await asyncio.gather(hold("first"), hold("second"))
    assert order == ["first in", "first out", "second in", "second out"]
    assert len(locks) == 0
