"""A private Slurm 22.05 cluster for the tests: munged, slurmctld and two slurmd "nodes" on this
machine, started by scripts/slurm-up in a temporary directory and stopped by PID.

The cluster is shared by every test of a session (tests/slurm and tests/contract each have a
`slurm_cluster` fixture that hands out the same one). Outside CI a machine without Slurm skips
these tests; in CI (CI=true) they fail instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import IN_CI

ROOT = Path(__file__).resolve().parents[2]
NODES = 2
# CPUs per node: enough for several tests' jobs at once, few enough that two node-sized jobs
# fill the cluster.
VCPUS = 4
SBIN = "/usr/sbin:/sbin"


@dataclass
class Cluster:
    base: Path
    ctld_port: int
    slurmd_port: int

    @property
    def conf(self) -> Path:
        return self.base / "etc" / "slurm.conf"

    @property
    def env(self) -> dict[str, str]:
        path = os.environ.get("PATH", os.defpath) + ":" + SBIN
        return {**os.environ, "PATH": path, "SLURM_CONF": str(self.conf)}

    def up(self) -> None:
        """Start whatever of the cluster is not running (all of it the first time)."""
        env = {
            **self.env,
            "NODES": str(NODES),
            "VCPUS": str(VCPUS),
            "KILLWAIT": "2",
            # Commands give up on a stopped slurmctld after about 2 s instead of 9.
            "MESSAGE_TIMEOUT": "3",
        }
        subprocess.run(
            [ROOT / "scripts/slurm-up", self.base, str(self.ctld_port), str(self.slurmd_port)],
            env=env,
            check=True,
            capture_output=True,
            timeout=90,
        )

    def down(self, *daemons: str) -> None:
        """Stop daemons by the PIDs in their PID files (all of them, jobs cancelled, if none)."""
        subprocess.run(
            [ROOT / "scripts/slurm-down", self.base, *daemons],
            env=self.env,
            check=True,
            capture_output=True,
            timeout=90,
        )

    def job_root(self, name: str) -> Path:
        """A fresh job root that the users' accounts can reach (the pytest temporary directory
        is 0700 root: a job submitted as a user could not write its output below it)."""
        root = self.base / "job-roots" / f"{name}-{uuid.uuid4().hex[:8]}"
        root.mkdir(parents=True)
        root.parent.chmod(0o755)
        root.chmod(0o755)
        return root

    def stop_controller(self) -> None:
        self.down("slurmctld")

    def start_controller(self) -> None:
        self.up()

    def squeue(self, *args: str) -> str:
        return subprocess.run(
            ["squeue", "--noheader", "--states=all", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout


def _free_ports(count: int) -> int:
    """A port P such that P..P+count-1 are all free now."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            first = int(s.getsockname()[1])
        if first + count >= 65535:
            continue
        try:
            for port in range(first, first + count):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError("no free range of ports")


def _start() -> Cluster:
    missing = [c for c in ("slurmctld", "slurmd", "munged", "sbatch") if not _which(c)]
    if missing:
        _unavailable(
            f"Slurm is not installed (missing {', '.join(missing)}; run scripts/ensure-slurm)"
        )
    # munged insists that every directory above its socket is world-executable: not under the
    # 0700 pytest temporary directory.
    base = Path(tempfile.mkdtemp(prefix="orchid-slurm-"))
    base.chmod(0o755)
    first = _free_ports(2 + NODES)
    cluster = Cluster(base, first, first + 1)
    started = time.monotonic()
    try:
        cluster.up()
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        subprocess.run([ROOT / "scripts/slurm-down", base], env=cluster.env, check=False)
        output = e.stderr.decode(errors="replace") if e.stderr else ""
        _unavailable(f"the test cluster did not start: {output}")
    print(f"Slurm test cluster up in {time.monotonic() - started:.2f}s at {base}")
    return cluster


def _which(command: str) -> bool:
    return shutil.which(command, path=os.environ.get("PATH", "") + ":" + SBIN) is not None


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"a Slurm cluster is required in CI: {reason}")
    pytest.skip(reason)


_shared: Cluster | None = None
_users = 0


@contextmanager
def shared_cluster() -> Iterator[Cluster]:
    """The session's cluster: started by the first user, stopped when the last one is done."""
    global _shared, _users
    if _shared is None:
        _shared = _start()
    _users += 1
    try:
        yield _shared
    finally:
        _users -= 1
        if _users == 0:
            cluster, _shared = _shared, None
            cluster.down()
            shutil.rmtree(cluster.base, ignore_errors=True)
