"""How one Slurm provider is configured (built from the TOML config file by orchid.config)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class SlurmOptions:
    """Everything the Slurm provider needs to know about its cluster.

    `job_root` must be on a filesystem every compute node mounts at the same path: job folders
    (scripts, argv, logs, exit codes) live there. `slurm_conf` is exported as SLURM_CONF to every
    Slurm command; None leaves the environment's SLURM_CONF (or Slurm's default) in charge.
    `bin_dir` is where sbatch, squeue, scontrol, scancel, sacct and sinfo are; None means PATH.
    """

    job_root: Path
    slurm_conf: Path | None = None
    partition: str | None = None
    account: str | None = None
    qos: str | None = None
    bin_dir: Path | None = None
    poll_seconds: float = 0.5
    busy_poll_seconds: float = 0.05
    command_timeout_seconds: float = 30.0
    sandbox: Literal["bwrap", "none"] = "bwrap"

    @property
    def tag(self) -> str:
        """Tells this Orchid's jobs from any other's on the same cluster: a short hash of the job
        root (two Orchids sharing a job root would share job folders, so they cannot be apart)."""
        return hashlib.sha256(str(self.job_root).encode()).hexdigest()[:8]
