"""The Slurm provider's handle: which Slurm job an Orchid job is, persisted by the service."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchid.providers.base import Handle


@dataclass(frozen=True)
class SlurmHandle:
    slurm_id: str
    job_dir: Path
    cluster: str | None

    def to_json(self) -> Handle:
        return {"slurm_job_id": self.slurm_id, "dir": str(self.job_dir), "cluster": self.cluster}

    @classmethod
    def from_json(cls, data: Handle) -> SlurmHandle:
        """Raises ValueError if `data` is not a handle this provider wrote."""
        slurm_id = data.get("slurm_job_id")
        directory = data.get("dir")
        cluster = data.get("cluster")
        if not isinstance(slurm_id, str) or not slurm_id.isdigit():
            raise ValueError("malformed Slurm handle: no Slurm job id")
        if not isinstance(directory, str) or (cluster is not None and not isinstance(cluster, str)):
            raise ValueError("malformed Slurm handle")
        return cls(slurm_id, Path(directory), cluster)
