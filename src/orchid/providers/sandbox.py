"""The sandbox of a replica (decision 9) as a bubblewrap command line: a pure builder, shared by
the local provider (which runs it under its wrapper) and the Slurm provider (whose rank script
runs it on the node).

Inside, the job sees the system directories read-only (/usr, /bin, /lib*, /sbin, /etc, /opt), a
fresh /tmp, /dev and /proc, its working folder read-write as `/work` (its HOME and working
directory), its mounts, and the `orchid.apps` package read-only (the built-in applications run
`python3 -m orchid.apps...`): nothing else. It has its own PID, IPC and UTS namespaces and the
host's network. bwrap's `--new-session` puts everything inside in one new session and process
group whose id is the host pid of the namespace's init, so that a SIGTERM can reach the job's
processes (not bwrap's outer monitor), and a SIGKILL of the init ends all of them at once.

Dropping to the job's account. When Orchid runs as root, bwrap runs as root (it mounts the
working folder, which may lie below a data directory only root can enter) and the command inside
is `setpriv`, which becomes the job's account with no capabilities left (bounding set emptied,
no_new_privs set by bwrap) before it executes the job's program.

`--die-with-parent` ties the sandbox to bwrap's parent, which is the replica's own wrapper (the
local provider's, or the Slurm rank script), never Orchid: a replica outlives an Orchid restart,
but a sandbox cannot outlive its wrapper (a SIGKILL to the wrapper's group, or Slurm killing the
step's processes one by one, cannot leave the namespace's init running on its own).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from orchid.domain.sandbox import WORK, Mount, UnixIdentity

BWRAP = "/usr/bin/bwrap"
SETPRIV = "/usr/bin/setpriv"
NSENTER = "/usr/bin/nsenter"

SandboxKind = Literal["bwrap", "none"]

# Where the orchid.apps package appears inside the sandbox (on $PYTHONPATH there).
APPS_PYTHONPATH = "/run/orchid/python"

# System paths the job sees read-only, when the host has them.
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")

# PATH inside the sandbox when the job does not set one (Orchid's own, e.g. a virtualenv, is not
# visible there).
SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"


@dataclass(frozen=True)
class SystemPath:
    """A system path of the host: bound read-only, or (`link` set) a symbolic link to recreate,
    like /bin -> usr/bin on a merged-/usr system."""

    path: str
    link: str | None = None


@dataclass(frozen=True)
class Sandbox:
    """Everything one replica's sandbox is made of.

    `workdir` is the host folder seen as /work; `run_as` the account to drop to inside (only when
    the sandbox starts as root; None: the command runs as whoever starts bwrap, which is never
    root because the providers refuse that); `init_groups` takes the account's supplementary
    groups from /etc/group (False: none); `binds` are extra read-only (host, in-job) paths that
    are not the job's mounts (the orchid.apps package)."""

    workdir: Path
    mounts: tuple[Mount, ...] = ()
    run_as: UnixIdentity | None = None
    init_groups: bool = True
    system: tuple[SystemPath, ...] = ()
    binds: tuple[tuple[str, str], ...] = ()


def bwrap_argv(sandbox: Sandbox, argv: Sequence[str], *, bwrap: str = BWRAP) -> list[str]:
    """The command line that runs `argv` inside `sandbox`. Pure: reads nothing from the host."""
    args = [
        bwrap,
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--share-net",
        "--new-session",
        "--die-with-parent",
        "--hostname",
        "orchid-job",
    ]
    for system in sandbox.system:
        if system.link is not None:
            args += ["--symlink", system.link, system.path]
        else:
            args += ["--ro-bind", system.path, system.path]
    # Fresh /tmp and /dev/shm, writable by everyone inside like on the host (bwrap makes 0755).
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--perms", "1777", "--tmpfs", "/tmp", "--perms", "1777", "--tmpfs", "/dev/shm"]
    args += ["--bind", str(sandbox.workdir), WORK]
    for mount in sandbox.mounts:
        args += ["--ro-bind" if mount.read_only else "--bind", str(mount.source), mount.target]
    made: set[str] = set()
    for source, target in sandbox.binds:
        # bwrap makes missing mount points 0700 (root's, when it runs as root): make the
        # folders above a bind traversable first.
        for folder in _parents(target):
            if folder not in made:
                made.add(folder)
                args += ["--perms", "0755", "--dir", folder]
        args += ["--ro-bind-try", source, target]
    args += ["--chdir", WORK, "--setenv", "HOME", WORK, "--"]
    return args + drop_argv(sandbox.run_as, sandbox.init_groups) + list(argv)


def _parents(path: str) -> list[str]:
    """The folders above an absolute path, from the top: /a/b/c -> [/a, /a/b]."""
    parts = path.strip("/").split("/")[:-1]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


def drop_argv(run_as: UnixIdentity | None, init_groups: bool = True) -> list[str]:
    """setpriv's prefix that turns a root process into `run_as` with no capabilities ([] when
    there is no account to drop to)."""
    if run_as is None:
        return []
    return [
        SETPRIV,
        f"--reuid={run_as.uid}",
        f"--regid={run_as.gid}",
        "--init-groups" if init_groups else "--clear-groups",
        "--bounding-set=-all",
        "--inh-caps=-all",
        "--",
    ]


def nsenter_argv(init_pid: int) -> list[str]:
    """The prefix that enters the sandbox whose namespace init is host pid `init_pid` (its PID,
    IPC, UTS and mount namespaces; its root, and its working directory: /work). Needs root."""
    return [
        NSENTER,
        f"--target={init_pid}",
        "--pid",
        "--ipc",
        "--uts",
        "--mount",
        "--root",
        "--wd",
        "--",
    ]


def sandbox_env(env: dict[str, str], *, apps: bool) -> dict[str, str]:
    """The environment a sandboxed replica starts with: HOME is /work, PATH the job's own or the
    system's, and (`apps`) orchid.apps importable."""
    result = dict(env)
    result["HOME"] = WORK
    result.setdefault("PATH", SANDBOX_PATH)
    if apps:
        existing = result.get("PYTHONPATH")
        result["PYTHONPATH"] = APPS_PYTHONPATH + (f":{existing}" if existing else "")
    return result


# ---- what the host offers (read once) ----


@functools.cache
def system_paths() -> tuple[SystemPath, ...]:
    """The host's system paths, as bwrap must recreate them."""
    found: list[SystemPath] = []
    for path in SYSTEM_PATHS:
        if os.path.islink(path):
            found.append(SystemPath(path, os.readlink(path)))
        elif os.path.isdir(path):
            found.append(SystemPath(path))
    return tuple(found)


@functools.cache
def apps_binds() -> tuple[tuple[str, str], ...]:
    """The orchid.apps package (and the empty-ish orchid/__init__.py above it) read-only under
    APPS_PYTHONPATH, so `python3 -m orchid.apps.X` works inside with the system's python3. Only
    these files: the rest of Orchid's installation stays out of sight."""
    package = Path(__file__).resolve().parent.parent  # this file is orchid/providers/sandbox.py
    apps = package / "apps"
    target = f"{APPS_PYTHONPATH}/orchid"
    return ((str(package / "__init__.py"), f"{target}/__init__.py"), (str(apps), f"{target}/apps"))


def missing(kind: SandboxKind, *, bwrap: str = BWRAP) -> str | None:
    """Why sandboxed jobs cannot start on this machine, or None when they can."""
    if kind == "none":
        return None
    if not os.access(bwrap, os.X_OK):
        return f"the sandbox is not installed ({bwrap} is missing; run scripts/ensure-sandbox)"
    if os.geteuid() == 0 and not os.access(SETPRIV, os.X_OK):
        return f"{SETPRIV} is missing (util-linux), so jobs cannot drop to their account"
    return None
