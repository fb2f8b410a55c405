"""Helpers for provider tests: a fact sink to wait on, and a bounded event loop per story."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from orchid.providers.base import Fact

F = TypeVar("F", bound=Fact)


def run(coro: Coroutine[Any, Any, None], timeout: float = 15) -> None:
    """Run one test story in a fresh event loop, bounded in time."""

    async def bounded() -> None:
        async with asyncio.timeout(timeout):
            await coro

    asyncio.run(bounded())


class Facts:
    """A FactSink that records every fact and lets the test wait for the one it expects."""

    timeout = 5.0

    def __init__(self) -> None:
        self.items: list[Fact] = []
        self._arrived = asyncio.Event()

    def __call__(self, fact: Fact) -> None:
        self.items.append(fact)
        self._arrived.set()

    def of(self, job_id: str) -> list[Fact]:
        return [f for f in self.items if f.job_id == job_id]

    async def wait(self, job_id: str, kind: type[F], timeout: float | None = None) -> F:
        async with asyncio.timeout(self.timeout if timeout is None else timeout):
            while True:
                for fact in self.of(job_id):
                    if isinstance(fact, kind):
                        return fact
                self._arrived.clear()
                await self._arrived.wait()
