"""The Slurm provider: jobs on a Slurm cluster (sbatch, squeue, scontrol, scancel, sacct)."""

from orchid.providers.slurm.options import SlurmOptions
from orchid.providers.slurm.provider import SlurmProvider
from orchid.providers.slurm.tracked import PollStats

__all__ = ["PollStats", "SlurmOptions", "SlurmProvider"]
