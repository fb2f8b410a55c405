"""The local provider facing jobs that cannot start: whatever goes wrong, the job fails with the
reason and gives its capacity back, and the provider keeps serving the others."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from orchid.providers.base import Exited, Failed, JobRun, ProductShape, Started
from tests.facts import Facts, run
from tests.providers.test_local import job, jobs_dir, local

__all__ = ["jobs_dir"]  # the fixture, re-exported for this module

WHOLE_MACHINE = ProductShape("whole", cpu=2, memory_gib=1)


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(lambda r: replace(r, argv=["sh", "-c", "echo a\0b"]), id="nul-in-argv"),
        pytest.param(lambda r: replace(r, env={"X": "a\0b"}), id="nul-in-env"),
        pytest.param(lambda r: replace(r, env={"A=B": "x"}), id="equals-in-env-name"),
        pytest.param(lambda r: replace(r, argv=["sh", "-c", "x" * 3_000_000]), id="argv-too-long"),
        pytest.param(lambda r: replace(r, argv=["sh", "-c", "echo \ud800"]), id="lone-surrogate"),
    ],
)
def test_a_job_that_cannot_start_fails_and_gives_its_capacity_back(
    jobs_dir: Path, broken: object
) -> None:
    async def story() -> None:
        facts = Facts()
        async with local(jobs_dir, facts, cpus=2) as provider:
            # Given a job that takes the whole machine and cannot be started
            bad: JobRun = broken(job("bad", "true", product=WHOLE_MACHINE))  # type: ignore[operator]
            await provider.submit(bad)

            # Then it fails with a reason, and nothing of it keeps running
            failed = await facts.wait("bad", Failed)
            assert "cannot start" in failed.reason
            assert not [f for f in facts.of("bad") if isinstance(f, Started)]

            # And the next job that needs the whole machine runs
            await provider.submit(job("next", "exit 4", product=WHOLE_MACHINE))
            assert (await facts.wait("next", Exited)).exit_codes == {0: 4}

    run(story())


def test_a_job_that_cannot_start_while_queued_fails_and_the_queue_moves_on(
    jobs_dir: Path,
) -> None:
    async def story() -> None:
        facts = Facts()
        async with local(jobs_dir, facts, cpus=2) as provider:
            # Given a running job holding the machine, and a broken job then a good one queued
            await provider.submit(
                job("first", "until [ -e done ]; do sleep 0.02; done", product=WHOLE_MACHINE)
            )
            await facts.wait("first", Started)
            await provider.submit(
                replace(job("bad", "true", product=WHOLE_MACHINE), env={"X": "a\0b"})
            )
            await provider.submit(job("good", "exit 0", product=WHOLE_MACHINE))

            # When the first ends
            (jobs_dir / "first" / "work" / "done").touch()

            # Then the broken one fails and the good one runs after it
            assert "cannot start" in (await facts.wait("bad", Failed)).reason
            assert (await facts.wait("good", Exited)).exit_codes == {0: 0}
            await asyncio.sleep(0)

    run(story())
