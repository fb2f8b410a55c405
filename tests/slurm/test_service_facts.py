"""What the service makes of the facts a scheduler adds (the service changes made for Slurm):
an unreachable scheduler, a job cancelled behind Orchid's back, an exit with a reason, and an
expiry whose stop request cannot be delivered yet. Driven by the scripted fake provider."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orchid.domain.states import JobState
from orchid.errors import ProviderError
from orchid.providers.base import Exited, Reachable, Unreachable
from orchid.store import migrate
from orchid.store.repository import Store
from tests.fakes import FakeProvider
from tests.service.helpers import (
    asynchronous,
    create_one,
    job,
    running,
    shell,
    statuses,
    wait_for_state,
)

UNREACHABLE = "The scheduler is unreachable: Unable to contact slurm controller"
REACHABLE = "The scheduler is reachable again"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store.from_url(f"sqlite:///{tmp_path / 'orchid.db'}")
    migrate.upgrade(store.engine)
    yield store
    store.close()


@asynchronous
async def test_an_unreachable_scheduler_is_said_once_and_changes_no_state(store: Store) -> None:
    fake = FakeProvider("example")
    async with running(store, fake) as service:
        # Given a running job
        job_id = await create_one(service, shell())
        fake.start_job(job_id)
        # When the provider loses its scheduler (and says so again)
        fake.emit(Unreachable(job_id, "Unable to contact slurm controller"))
        fake.emit(Unreachable(job_id, "Unable to contact slurm controller"))
        # Then the job still runs, with the reason said once
        record = job(service, job_id)
        assert record.state == JobState.RUNNING
        assert [s for _, s in statuses(record)].count(UNREACHABLE) == 1
        # When the scheduler is back, the job says so
        fake.emit(Reachable(job_id))
        assert statuses(job(service, job_id))[-1] == (None, REACHABLE)


@asynchronous
async def test_a_job_cancelled_by_someone_else_is_cancelled(store: Store) -> None:
    fake = FakeProvider("example")
    async with running(store, fake) as service:
        job_id = await create_one(service, shell())
        fake.start_job(job_id)
        fake.emit(Exited(job_id, {0: 143}, cancelled=True))
        assert statuses(job(service, job_id))[-1] == (
            JobState.SUCCESS,
            "Your job has been cancelled!",
        )


@asynchronous
async def test_an_exit_with_a_reason_says_it(store: Store) -> None:
    fake = FakeProvider("example")
    async with running(store, fake) as service:
        job_id = await create_one(service, shell())
        fake.start_job(job_id)
        fake.emit(Exited(job_id, {0: 137}, reason="out of memory"))
        assert statuses(job(service, job_id))[-1] == (
            JobState.SUCCESS,
            "Your job has completed (exit code 137): out of memory",
        )


def test_an_expired_job_is_expired_even_if_it_cannot_be_stopped_yet(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    expire_while_unreachable(store)
    assert "cannot be stopped yet" in caplog.text


@asynchronous
async def expire_while_unreachable(store: Store) -> None:
    # Given a provider whose scheduler does not answer stop requests
    fake = FakeProvider("example")
    fake.terminate_error = ProviderError("the Slurm scheduler is unreachable", transient=True)
    async with running(store, fake) as service:
        job_id = await create_one(service, shell(seconds=1))
        fake.start_job(job_id)
        # When its time is up, it is EXPIRED on time, and the stop request was made
        await wait_for_state(service, job_id, JobState.EXPIRED, timeout=3)
        await fake.wait_for_call(lambda f: job_id in f.terminated)


@asynchronous
async def test_a_restart_while_the_scheduler_is_down_resumes_cancels_later(store: Store) -> None:
    unreachable = ProviderError("the Slurm scheduler is unreachable", transient=True)
    # Given a job whose terminate was accepted (CANCELING) but could not reach the scheduler
    fake = FakeProvider("example")
    fake.terminate_error = unreachable
    async with running(store, fake) as service:
        job_id = await create_one(service, shell())
        fake.start_job(job_id)
        with pytest.raises(ProviderError):
            await service.terminate("alice", [job_id])
        assert job(service, job_id).state == JobState.CANCELING
    # When Orchid restarts while the scheduler is still down
    restarted = FakeProvider("example")
    restarted.terminate_error = unreachable
    async with running(store, restarted) as service:
        # Then it starts all the same, and has asked for the cancel again
        assert restarted.terminated == [job_id]
        assert job(service, job_id).state == JobState.CANCELING
