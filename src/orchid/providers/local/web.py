"""Reaching a local replica: the web interface of a WEB replica (the port it listens on, chosen
before it starts) and the shell of a shell session.

The port is the application's declared one, or a free port of this machine picked for the
replica. It is given to the replica in its environment and written to `rank-<r>.webport` in the
job folder, where the session proxy finds it (also after a restart). Sandboxed replicas share the
host's network, so the interface answers on 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Mapping
from pathlib import Path

from orchid.domain.sandbox import WORK
from orchid.errors import ProviderError
from orchid.providers import sandbox
from orchid.providers.base import JobRun, ShellCommand, UnixIdentity, WebTarget

HOST = "127.0.0.1"


def port_file(job_dir: Path, rank: int) -> Path:
    return job_dir / f"rank-{rank}.webport"


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def replica_env(run: JobRun, rank: int, job_dir: Path) -> dict[str, str]:
    """The variables that tell replica `rank` of a WEB job where to serve (none for other jobs).
    Records the port in the job folder. Raises OSError if it cannot."""
    if run.web is None:
        return {}
    port = run.web.port or free_port()
    path = port_file(job_dir, rank)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(f"{port}\n")
    tmp.replace(path)
    return {
        "ORCHID_WEB_PORT": str(port),
        "UCLOUD_PORT": str(port),
        "ORCHID_WEB_BASE_PATH": run.web.base_paths[rank],
    }


def target(job_dir: Path, rank: int) -> WebTarget:
    """Where replica `rank` serves. Raises ProviderError if it was given no port."""
    try:
        port = int(port_file(job_dir, rank).read_text())
    except (OSError, ValueError) as error:
        raise ProviderError(f"rank {rank} has no web interface: {error}") from error
    return WebTarget(HOST, port)


def shell_command(
    env: Mapping[str, str],
    work: Path | None,
    job_id: str,
    *,
    enter: int | None = None,
    run_as: UnixIdentity | None = None,
) -> ShellCommand:
    """bash (sh without it) with the replica's environment, as the job's account (`run_as`, when
    Orchid is root). `enter`: inside the sandbox whose namespace init is that host pid, in /work;
    otherwise in the working folder `work` on the host."""
    shell = shutil.which("bash", path=os.defpath) or "/bin/sh"
    prefix = sandbox.nsenter_argv(enter) if enter is not None else []
    home = WORK if enter is not None else str(work)
    full = dict(env)
    full.update(
        {
            "HOME": home,
            "TERM": "xterm-256color",
            "PS1": f"job-{job_id}:\\w\\$ ",
        }
    )
    full.setdefault("LANG", "C.UTF-8")
    argv = (*prefix, *sandbox.drop_argv(run_as), shell)
    return ShellCommand(argv=argv, env=full, cwd=None if enter is not None else str(work))
