"""Jobs on a Slurm cluster: sbatch to submit, one squeue per tick to track every job, scontrol
to extend, scancel to terminate.

The provider is a thin front over three parts that share one `SlurmSession` (session.py: the
jobs, the line to slurmctld, cancelling): submission.py puts jobs into Slurm and finds them again
after a restart, so that none runs twice; tracking.py is the poll loop that turns what squeue and
sacct say into facts.

When slurmctld does not answer, every job keeps its state and is told so once (Unreachable);
extend and terminate raise a transient ProviderError (503); new jobs are accepted and submitted
once the controller answers again (after looking for them first, since an sbatch that timed out
may have reached it). Everything is reported Reachable again when the next query succeeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence

from orchid.errors import ProviderError
from orchid.providers.base import (
    Capabilities,
    FactSink,
    JobRun,
    LogFile,
    ProductShape,
    Provider,
)
from orchid.providers.slurm import commands, jobfolder, submission, tracking
from orchid.providers.slurm.options import SlurmOptions
from orchid.providers.slurm.runner import CommandFailed
from orchid.providers.slurm.session import SlurmSession, unavailable
from orchid.providers.slurm.tracked import PollStats

log = logging.getLogger(__name__)

# Reading the cluster's configuration at start must not hold up Orchid for long.
STARTUP_TIMEOUT_SECONDS = 5.0


class SlurmProvider(Provider):
    def __init__(
        self,
        provider_id: str,
        options: SlurmOptions,
        sink: FactSink,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.id = provider_id
        # Mounts are bind mounts into the rank's sandbox (the storage root must be shared with the
        # nodes, like the job root); without the sandbox a job would not see them.
        self.capabilities = Capabilities(
            time_extension=True, logs=True, mounts=options.sandbox == "bwrap"
        )
        self.options = options
        self._session = SlurmSession(provider_id, options, sink, clock)
        self._task: asyncio.Task[None] | None = None

    @property
    def stats(self) -> PollStats:
        """What the provider did: poll ticks, and commands run (for logs and benchmarks)."""
        return self._session.stats

    async def start(self) -> None:
        session = self._session
        session.wake = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(session.refresh_cluster(), STARTUP_TIMEOUT_SECONDS)
        self._task = asyncio.get_running_loop().create_task(tracking.poll_loop(session))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._session.jobs.clear()

    def fits(self, product: ProductShape, replicas: int) -> bool:
        return submission.fits(self._session, product, replicas)

    async def submit(self, run: JobRun) -> None:
        await submission.submit(self._session, run)

    async def recover(self, runs: Sequence[JobRun]) -> None:
        submission.recover(self._session, runs)

    async def terminate(self, job_id: str) -> None:
        session = self._session
        job = session.jobs.get(job_id)
        if job is None:
            return
        job.terminating = True
        session.poke()
        if job.slurm_id is None:
            if job.deferred and not job.reconcile:
                # Never reached Slurm: nothing to cancel.
                submission.withdraw(session, job)
            # Otherwise sbatch is under way, or the job is still to be looked for in Slurm:
            # it is cancelled as soon as its Slurm id is known.
            return
        if session.unreachable is not None:
            raise unavailable(session.unreachable, "it will be cancelled when it is back")
        await session.scancel([job], raise_transient=True)

    async def extend(self, job_id: str, new_time_allocation_ms: int) -> None:
        session = self._session
        job = session.jobs.get(job_id)
        if job is None:
            raise ProviderError(f"job {job_id} is no longer tracked by Slurm provider {self.id}")
        previous = job.time_limit_ms
        job.time_limit_ms = new_time_allocation_ms
        if job.slurm_id is None:
            # Not in Slurm yet: sbatch will ask for the new limit, or (if sbatch is already under
            # way) the first tick that sees the job corrects it.
            job.check_limit = True
            return
        if session.unreachable is not None:
            job.time_limit_ms = previous
            raise unavailable(session.unreachable, "the time limit cannot be changed now")
        try:
            await session.run(
                commands.extend_argv(self.options, job.slurm_id, new_time_allocation_ms)
            )
        except CommandFailed as e:
            job.time_limit_ms = previous
            if e.transient:
                session.lost_contact(e.message)
                raise unavailable(e.message, "the time limit cannot be changed now") from e
            raise ProviderError(
                f"Slurm refused the new time limit of job {job.slurm_id}: {e.message}",
                error_code="EXTENSION_REFUSED",
            ) from e
        log.info("%s Slurm time limit raised (job %s)", job_id, job.slurm_id)

    def log_files(self, job_id: str, replicas: int) -> list[LogFile]:
        job = self._session.jobs.get(job_id)
        job_dir = job.dir if job is not None else self.options.job_root / job_id
        files: list[LogFile] = []
        for rank in range(replicas):
            files.append(LogFile(rank, "stdout", jobfolder.stdout_file(job_dir, rank)))
            files.append(LogFile(rank, "stderr", jobfolder.stderr_file(job_dir, rank)))
        return files
