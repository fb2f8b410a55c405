"""The Slurm provider against the real test cluster: crash safety and what Slurm forgets.

Each story runs in a fresh event loop and waits for facts through `Facts`. A "crash" is a provider
that stops without the service having persisted anything, followed by a new provider that gets the
job back from `recover` the way the service would hand it over after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any

import pytest

from orchid.providers.base import (
    Exited,
    Failed,
    Handle,
    JobRun,
    ProductShape,
    Started,
    UnixIdentity,
)
from orchid.providers.slurm import SlurmOptions, SlurmProvider, commands, jobfolder
from tests import facts
from tests.slurm.cluster import Cluster

SMALL = ProductShape("small", cpu=1, memory_gib=1)
WAIT_FOR_DONE = "until [ -e done ]; do sleep 0.05; done"


def run(coro: Coroutine[Any, Any, None], timeout: float = 30) -> None:
    facts.run(coro, timeout)


class Facts(facts.Facts):
    timeout = 15.0


# The account jobs run as (the session's slurm_account, set for every test).
ACCOUNT: list[UnixIdentity | None] = [None]


@pytest.fixture(autouse=True)
def _account(slurm_account: UnixIdentity | None) -> None:
    ACCOUNT[0] = slurm_account


def job(
    job_id: str, script: str, *, handle: Handle | None = None, allocation_ms: int | None = None
) -> JobRun:
    return JobRun(
        identity=ACCOUNT[0],
        job_id=job_id,
        argv=["sh", "-c", script],
        env={},
        replicas=1,
        product=SMALL,
        time_allocation_ms=allocation_ms,
        handle=handle,
    )


@pytest.fixture
def options(slurm_cluster: Cluster, tmp_path: Path) -> SlurmOptions:
    return SlurmOptions(
        job_root=slurm_cluster.job_root("provider"),
        slurm_conf=slurm_cluster.conf,
        partition="debug",
        poll_seconds=0.2,
        busy_poll_seconds=0.05,
    )


@contextlib.asynccontextmanager
async def slurm(options: SlurmOptions, facts: Facts) -> AsyncIterator[SlurmProvider]:
    provider = SlurmProvider("hpc", options, facts)
    await provider.start()
    try:
        yield provider
    finally:
        await provider.stop()


def slurm_jobs_of(cluster: Cluster, options: SlurmOptions, job_id: str) -> list[str]:
    """The Slurm jobs (id and state) carrying this Orchid job's comment."""
    comment = commands.job_comment(options.tag, job_id)
    rows = cluster.squeue("--format=%i %T %k").splitlines()
    return [" ".join(r.split()[:2]) for r in rows if r.split()[-1] == comment]


def test_a_job_submitted_just_before_a_crash_is_adopted_not_run_twice(
    slurm_cluster: Cluster, options: SlurmOptions
) -> None:
    async def story() -> None:
        # Given a job that Slurm runs, but whose start never reached the database
        facts = Facts()
        async with slurm(options, facts) as provider:
            await provider.submit(job("1", WAIT_FOR_DONE))
            first = await facts.wait("1", Started)
        # ... and whose Slurm id was not even written down (sbatch's answer was lost)
        (options.job_root / "1" / jobfolder.SLURM_ID_FILE).unlink()

        # When Orchid starts again and hands the job back without a handle
        facts = Facts()
        async with slurm(options, facts) as provider:
            await provider.recover([job("1", WAIT_FOR_DONE)])
            # Then the provider finds it in Slurm by its comment and reports that same job
            again = await facts.wait("1", Started)
            assert again.provider_job_id == first.provider_job_id
            assert slurm_jobs_of(slurm_cluster, options, "1") == [
                f"{first.provider_job_id} RUNNING"
            ]
            # ... which runs to its end once
            (options.job_root / "1" / "work" / "done").touch()
            ended = await facts.wait("1", Exited)
            assert ended.exit_codes == {0: 0}
        assert len(slurm_jobs_of(slurm_cluster, options, "1")) == 1

    run(story())


def test_a_job_never_submitted_is_submitted_on_recovery(options: SlurmOptions) -> None:
    async def story() -> None:
        facts = Facts()
        async with slurm(options, facts) as provider:
            await provider.recover([job("2", "echo recovered")])
            await facts.wait("2", Started)
            assert (await facts.wait("2", Exited)).exit_codes == {0: 0}
        assert (options.job_root / "2" / "rank-0.stdout").read_text() == "recovered\n"

    run(story())


def test_a_job_slurm_does_not_know_is_a_failure_never_a_success(options: SlurmOptions) -> None:
    async def story() -> None:
        # Given a job whose handle names a Slurm job that does not exist (any more)
        handle = {"slurm_job_id": "987654", "dir": str(options.job_root / "3"), "cluster": None}
        facts = Facts()
        async with slurm(options, facts) as provider:
            await provider.recover([job("3", "true", handle=handle)])
            # Then accounting is asked, has no record, and the job is reported lost
            failed = await facts.wait("3", Failed)
        assert "no longer known to Slurm" in failed.reason
        assert not any(isinstance(f, Exited) for f in facts.of("3"))

    run(story())


def test_an_interrupted_submission_older_than_slurms_memory_is_not_repeated(
    slurm_cluster: Cluster, options: SlurmOptions
) -> None:
    async def story() -> None:
        # Given a folder whose sbatch started two hours ago, with no answer recorded, and a
        # cluster that forgets finished jobs after an hour (MinJobAge=3600)
        folder = options.job_root / "4"
        folder.mkdir(parents=True)
        jobfolder.mark_submitting(folder)
        two_hours_ago = time.time() - 7200
        os.utime(folder / jobfolder.SUBMITTING_MARKER, (two_hours_ago, two_hours_ago))
        facts = Facts()
        async with slurm(options, facts) as provider:
            await provider.recover([job("4", "echo must not run")])
            # Then the job may have run and been forgotten: it fails rather than run twice
            failed = await facts.wait("4", Failed)
        assert "cannot run twice" in failed.reason
        assert slurm_jobs_of(slurm_cluster, options, "4") == []

    run(story())


def test_a_time_limit_short_of_the_persisted_one_is_raised_after_a_restart(
    slurm_cluster: Cluster, options: SlurmOptions
) -> None:
    async def story() -> None:
        # Given a running job submitted with a 1 minute allocation (Slurm limit 2 minutes)
        facts = Facts()
        async with slurm(options, facts) as provider:
            await provider.submit(job("5", WAIT_FOR_DONE, allocation_ms=60_000))
            started = await facts.wait("5", Started)
        # When Orchid restarts with 3 hours persisted (an extension Slurm never heard of)
        facts = Facts()
        async with slurm(options, facts) as provider:
            await provider.recover(
                [job("5", WAIT_FOR_DONE, handle=dict(started.handle), allocation_ms=3 * 3_600_000)]
            )

            # Then the provider raises Slurm's limit to the allocation plus the backstop
            async def limit() -> str:
                return slurm_cluster.squeue(
                    f"--jobs={started.provider_job_id}", "--format=%l"
                ).strip()

            async with asyncio.timeout(10):
                while await limit() != "3:01:00":
                    await asyncio.sleep(0.1)
            await provider.terminate("5")
            # Orchid's own cancel: not reported as cancelled by someone else
            assert not (await facts.wait("5", Exited)).cancelled

    run(story())
