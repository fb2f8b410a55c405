"""What a replica's sandbox must provide (decisions 9, 10 and 12): plain data, no I/O.

The service fills these in (whose job it is, which folders it may see); each provider turns them into
its own mechanism (bubblewrap's argv on the local provider, the same inside Slurm's batch script).
Inside the sandbox a job sees the system directories read-only, a fresh /tmp, /dev and /proc, its
working folder as `/work` (also its HOME), and `mounts` below /work: nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Where the job's working folder appears inside the sandbox; also its HOME and working directory.
WORK = "/work"


@dataclass(frozen=True)
class UnixIdentity:
    """The Unix account a user's jobs run as and their files belong to (never uid 0)."""

    name: str
    uid: int
    gid: int


@dataclass(frozen=True)
class Mount:
    """A host folder or file made visible inside the sandbox.

    `source` is a host path already resolved inside its drive (storage/ is the only code that turns
    a UCloud path into one); `target` is the absolute in-job path, `/work/<name>`.
    """

    source: Path
    target: str
    read_only: bool = False
