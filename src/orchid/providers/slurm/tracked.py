"""What the Slurm provider knows about each job it tracks, and what it did (for benchmarks)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from orchid.providers.base import JobRun
from orchid.providers.slurm import jobfolder

# Exit code of a rank that left no exit status after Orchid cancelled the job (SIGKILL).
KILLED_CODE = 137


@dataclass
class TrackedJob:
    """One Orchid job on its way through Slurm, as the provider sees it."""

    run: JobRun
    dir: Path
    time_limit_ms: int | None
    slurm_id: str | None = None
    # When the provider learnt slurm_id (monotonic): a query that began earlier proves nothing
    # about the job's absence.
    known_at: float = float("-inf")
    submitted_at: float = float("-inf")
    # Not in Slurm yet: waits for the next tick (scheduler unreachable, or handed back by recover).
    deferred: bool = False
    # Before submitting a deferred job, look for it in Slurm: it may have been submitted already.
    reconcile: bool = False
    started: bool = False
    reason: str | None = None
    terminating: bool = False
    cancel_sent: bool = False
    check_limit: bool = False
    told_unreachable: bool = False

    @property
    def id(self) -> str:
        return self.run.job_id


@dataclass
class PollStats:
    """What the provider did, for logs and benchmarks: poll ticks, and commands run (count and
    wall seconds) by name."""

    ticks: int = 0
    commands: Counter[str] = field(default_factory=Counter)
    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))


def exit_codes(job: TrackedJob, slurm_code: int) -> dict[int, int]:
    """Each rank's code as its wrapper recorded it; a rank killed before it could (SIGKILL after
    KillWait, a lost node) gets the batch script's code from Slurm."""
    codes = {}
    for rank in range(job.run.replicas):
        code = jobfolder.read_exit_code(job.dir, rank)
        if code is None:
            code = KILLED_CODE if job.terminating and slurm_code == 0 else slurm_code
        codes[rank] = code
    return codes
