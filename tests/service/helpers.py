"""Building blocks for service tests: a running JobService over a real store, job specifications
from the default catalog, and waiting on a job's events (never on sleep)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, ParamSpec

from orchid.catalog import Catalog, load_default_catalog
from orchid.domain.states import JobState
from orchid.schemas.jobs import JobsExtendRequestItem, JobSpecification
from orchid.service.jobs import JobService
from orchid.store.records import JobRecord
from orchid.store.repository import Store
from tests.fakes import FakeProvider

P = ParamSpec("P")

ALICE = "alice"
BOB = "bob"
SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE


def asynchronous(test: Callable[P, Coroutine[Any, Any, None]]) -> Callable[P, None]:
    """Run an `async def` test body on a fresh event loop (no pytest-asyncio needed)."""

    @functools.wraps(test)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


@functools.cache
def catalog() -> Catalog:
    return load_default_catalog()


@asynccontextmanager
async def running(store: Store, *providers: FakeProvider) -> AsyncIterator[JobService]:
    """A started JobService whose providers report their facts to it; stopped on exit."""
    service = JobService(store, catalog(), {p.id: p for p in providers})
    for provider in providers:
        provider.connect(service.on_fact)
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


def shell(
    script: str = "echo hello",
    *,
    hours: int = 0,
    minutes: int = 0,
    seconds: int = 0,
    name: str | None = None,
    allow_duplicate: bool | None = None,
    product: str = "example-compute",
) -> JobSpecification:
    """A shell-script job on the example provider, as a client would send it."""
    spec: dict[str, Any] = {
        "application": {"name": "shell-script", "version": "1.0.0"},
        "product": {"id": product, "category": "example-compute", "provider": "example"},
        "name": name,
        "replicas": 1,
        "parameters": {"script": {"type": "text", "value": script}},
        "allowDuplicateJob": allow_duplicate,
    }
    if hours or minutes or seconds:
        spec["timeAllocation"] = {"hours": hours, "minutes": minutes, "seconds": seconds}
    return JobSpecification.model_validate(spec)


def extension(
    job_id: str, *, hours: int = 0, minutes: int = 0, seconds: int = 0
) -> JobsExtendRequestItem:
    return JobsExtendRequestItem.model_validate(
        {"jobId": job_id, "requestedTime": {"hours": hours, "minutes": minutes, "seconds": seconds}}
    )


async def create_one(service: JobService, spec: JobSpecification, user: str = ALICE) -> str:
    (job_id,) = await service.create(user, [spec])
    return job_id


def job(service: JobService, job_id: str) -> JobRecord:
    record = service.job(job_id)
    assert record is not None, f"job {job_id} is not stored"
    return record


async def wait_for_state(
    service: JobService, job_id: str, *wanted: JobState, timeout: float
) -> JobRecord:
    """Wait (on the service's change events) until the job is in one of `wanted`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    subscription = service.events.subscribe(job_id)
    try:
        while True:
            record = job(service, job_id)
            if record.state in wanted:
                return record
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"job {job_id} is {record.state}, not {'/'.join(wanted)}, after {timeout} s"
                )
            await subscription.wait(remaining)
    finally:
        subscription.close()


def statuses(record: JobRecord) -> list[tuple[JobState | None, str | None]]:
    return [(u.state, u.status) for u in record.updates]
