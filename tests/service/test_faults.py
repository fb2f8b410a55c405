"""One broken job never breaks the others: whatever a provider raises while starting or
re-attaching a job, that job fails with the reason and the service keeps going."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import update

from orchid.domain.states import JobState
from orchid.providers.base import JobRun
from orchid.store.models import JobRow
from orchid.store.repository import Store
from tests.fakes import FakeProvider
from tests.service.helpers import asynchronous, create_one, job, running, shell


class Brittle(FakeProvider):
    """A fake that raises a foreign exception for the jobs whose script contains 'boom'."""

    @staticmethod
    def _check(run: JobRun) -> None:
        if "boom" in list(run.argv)[-1]:
            raise ValueError("embedded null byte")

    async def submit(self, run: JobRun) -> None:
        self._check(run)
        await super().submit(run)

    async def recover(self, runs: Sequence[JobRun]) -> None:
        for run in runs:
            self._check(run)
        await super().recover(runs)


@asynchronous
async def test_a_job_its_provider_cannot_take_fails_with_the_reason(store: Store) -> None:
    brittle = Brittle("example")
    async with running(store, brittle) as service:
        # When a bulk create holds a job the provider raises on, between two good ones
        ids = await service.create(
            "alice", [shell("echo one"), shell("echo boom"), shell("echo three")]
        )

        # Then the broken one is a FAILURE that says why, and the others were handed over
        bad = job(service, ids[1])
        assert bad.state == JobState.FAILURE
        assert bad.updates[-1].status is not None
        assert "embedded null byte" in bad.updates[-1].status
        assert [r.job_id for r in brittle.submitted] == [ids[0], ids[2]]
        assert job(service, ids[2]).state == JobState.IN_QUEUE


@asynchronous
async def test_a_job_that_breaks_recovery_fails_and_the_others_are_recovered(
    store: Store,
) -> None:
    # Given two active jobs, one of which the provider will raise on after a restart
    before = FakeProvider("example")
    async with running(store, before) as service:
        good = await create_one(service, shell("echo good"))
        bad = await create_one(service, shell("echo boom"))

    # When the service starts again, it starts (no exception escapes)
    after = Brittle("example")
    async with running(store, after) as service:
        # Then the broken job is a FAILURE with the reason, and the good one was re-attached
        record = job(service, bad)
        assert record.state == JobState.FAILURE
        assert "embedded null byte" in (record.updates[-1].status or "")
        assert [r.job_id for runs in after.recovered for r in runs] == [good]
        assert job(service, good).state == JobState.IN_QUEUE


@asynchronous
async def test_a_stored_job_that_no_longer_parses_fails_on_restart(store: Store) -> None:
    before = FakeProvider("example")
    async with running(store, before) as service:
        good = await create_one(service, shell("echo good"))
        broken = await create_one(service, shell("echo broken"))
    with store.engine.begin() as conn:
        conn.execute(
            update(JobRow).where(JobRow.id == int(broken)).values(specification="{not json")
        )

    after = FakeProvider("example")
    async with running(store, after) as service:
        assert job(service, broken).state == JobState.FAILURE
        assert [r.job_id for runs in after.recovered for r in runs] == [good]
