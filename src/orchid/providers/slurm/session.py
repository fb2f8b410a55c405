"""What the Slurm provider's parts share: the jobs it tracks, its line to slurmctld (commands,
whether the controller answers, the cluster's configuration), cancelling, and the sink for facts.

submission.py puts jobs into Slurm (and finds them again after a restart), tracking.py watches
them there; both work on one `SlurmSession`, which provider.py owns.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable

from orchid.errors import ProviderError
from orchid.providers.base import Fact, FactSink, Reachable, Unreachable
from orchid.providers.slurm import commands, runner
from orchid.providers.slurm.options import SlurmOptions
from orchid.providers.slurm.parse import ClusterConfig, NodeShape, parse_config, parse_sinfo
from orchid.providers.slurm.runner import CommandFailed
from orchid.providers.slurm.tracked import PollStats, TrackedJob

log = logging.getLogger(__name__)


class SlurmSession:
    def __init__(
        self,
        provider_id: str,
        options: SlurmOptions,
        sink: FactSink,
        clock: Callable[[], float],
    ) -> None:
        self.id = provider_id
        self.options = options
        self.stats = PollStats()
        self.clock = clock
        self.tag = options.tag
        self.jobs: dict[str, TrackedJob] = {}  # in creation order
        self.cluster: ClusterConfig | None = None
        self.nodes: list[NodeShape] | None = None
        # Why slurmctld does not answer, while it does not.
        self.unreachable: str | None = None
        self.wake: asyncio.Event | None = None
        self._sink = sink
        self._env = command_env(options)

    # ---- commands and facts ----

    async def run(self, argv: list[str]) -> str:
        # Counted under the Slurm command's name, also when run as a user's account.
        name = os.path.basename(
            argv[argv.index("--") + 1] if argv[0] == commands.SETPRIV else argv[0]
        )
        self.stats.commands[name] += 1
        began = time.monotonic()
        try:
            return await runner.run(argv, self._env, self.options.command_timeout_seconds)
        finally:
            self.stats.seconds[name] += time.monotonic() - began

    def account_uids(self) -> set[int]:
        """Whose jobs squeue must list: Orchid's own account and every account a tracked job is
        submitted as (its comment then tells Orchid's jobs from the users' others)."""
        uids = {os.geteuid()}
        uids.update(j.run.identity.uid for j in self.jobs.values() if j.run.identity is not None)
        return uids

    def poke(self) -> None:
        """Wake the poll loop (a new job, a cancel): it ticks at the busy interval."""
        if self.wake is not None:
            self.wake.set()

    def emit(self, fact: Fact) -> None:
        try:
            self._sink(fact)
        except Exception:
            log.exception("%s fact sink failed on %s", fact.job_id, type(fact).__name__)

    # ---- contact with slurmctld ----

    def lost_contact(self, message: str) -> None:
        if self.unreachable is None:
            log.warning("Slurm provider %s: the scheduler is unreachable: %s", self.id, message)
        self.unreachable = message
        for job in self.jobs.values():
            self.tell_unreachable(job)

    def tell_unreachable(self, job: TrackedJob) -> None:
        if not job.told_unreachable and self.unreachable is not None:
            job.told_unreachable = True
            self.emit(Unreachable(job.id, self.unreachable))

    async def regained_contact(self) -> None:
        if self.unreachable is None:
            return
        self.unreachable = None
        log.info("Slurm provider %s: the scheduler answers again", self.id)
        for job in list(self.jobs.values()):
            if job.told_unreachable:
                job.told_unreachable = False
                self.emit(Reachable(job.id))
        await self.refresh_cluster()

    async def refresh_cluster(self) -> None:
        """Read the cluster's configuration and the partition's nodes (at start, and whenever
        the controller answers again)."""
        try:
            self.cluster = parse_config(await self.run(commands.config_argv(self.options)))
            self.nodes = parse_sinfo(await self.run(commands.sinfo_argv(self.options)))
        except CommandFailed as e:
            if e.transient:
                self.lost_contact(e.message)
            else:
                log.warning("Slurm provider %s: cannot read the cluster: %s", self.id, e.message)
        except ValueError as e:
            log.warning("Slurm provider %s: cannot read the cluster: %s", self.id, e)

    # ---- cancelling ----

    async def scancel(self, jobs: list[TrackedJob], *, raise_transient: bool) -> None:
        jobs = [job for job in jobs if job.slurm_id is not None]
        ids = [job.slurm_id for job in jobs if job.slurm_id is not None]
        if not ids:
            return
        for job in jobs:  # a tick running meanwhile must not send another
            job.cancel_sent = True
        try:
            await self.run(commands.scancel_argv(self.options, ids))
        except CommandFailed as e:
            if e.transient:
                for job in jobs:
                    job.cancel_sent = False
                self.lost_contact(e.message)
                if raise_transient:
                    raise unavailable(e.message, "it will be cancelled when it is back") from e
                return
            # e.g. the job already ended: its outcome arrives with the next tick
            log.info("scancel %s: %s", " ".join(ids), e.message)
            return
        log.info("cancelled Slurm job(s) %s", " ".join(ids))

    async def retry_cancels(self) -> None:
        pending = [
            j for j in self.jobs.values() if j.terminating and not j.cancel_sent and j.slurm_id
        ]
        if pending:
            await self.scancel(pending, raise_transient=False)


def unavailable(message: str, consequence: str) -> ProviderError:
    return ProviderError(
        f"the Slurm scheduler is unreachable ({message}); {consequence}", transient=True
    )


def command_env(options: SlurmOptions) -> dict[str, str]:
    """The environment of every Slurm command, and so (through sbatch) the base environment of
    every job: deliberately small, so none of Orchid's own settings leak into jobs."""
    env = {"PATH": os.environ.get("PATH") or os.defpath, "LANG": "C.UTF-8"}
    conf = options.slurm_conf or os.environ.get("SLURM_CONF")
    if conf:
        env["SLURM_CONF"] = str(conf)
    return env
