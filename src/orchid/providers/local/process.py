"""One replica as an operating-system process: how it is spawned, recognised and reaped.

Each replica runs under a constant POSIX sh wrapper (WRAPPER below), which records the exit code of
the user's command in `rank-<r>.exit` in the job folder. That file, not `waitpid`, is the source of
truth: it survives an Orchid restart, after which Orchid is no longer the parent of the processes.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from orchid.providers import sandbox

# The wrapper is the replica's process group leader and the parent of the command. The script is a
# constant: the exit file and the user's argv arrive as positional arguments ("$@"), never as text
# in the script. `trap :` (a handler, not an ignore, so the command does not inherit SIG_IGN) keeps
# the wrapper alive through a SIGTERM sent to the group, so it can record the command's status
# (128+N when killed by signal N). It costs about 1 ms per replica; a Python wrapper cost 15 ms.
# A signal that reaches the group before the command exists would be swallowed by the trap, so the
# provider only signals a group once its wrapper has a child (see command_started).
WRAPPER = 'f=$1; shift; trap : TERM INT HUP; "$@"; c=$?; echo "$c" > "$f"; exit "$c"'
WRAPPER_ARGV = ("/bin/sh", "-c", WRAPPER, "orchid-replica")


def exit_file(job_dir: Path, rank: int) -> Path:
    return job_dir / f"rank-{rank}.exit"


def stdout_file(job_dir: Path, rank: int) -> Path:
    return job_dir / f"rank-{rank}.stdout"


def stderr_file(job_dir: Path, rank: int) -> Path:
    return job_dir / f"rank-{rank}.stderr"


def replica_env(
    env: Mapping[str, str], job_id: str, rank: int, replicas: int, *, sandboxed: bool = False
) -> dict[str, str]:
    """The job's environment plus Orchid's variables. Sandboxed, `python3` is the system's (the
    sandbox hides Orchid's installation; see sandbox.sandbox_env); without a sandbox it resolves to
    Orchid's interpreter."""
    result = dict(env)
    if sandboxed:
        result = sandbox.sandbox_env(result, apps=True)
    else:
        base_path = env.get("PATH") or os.environ.get("PATH") or os.defpath
        result["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), base_path])
    result["ORCHID_JOB_ID"] = job_id
    result["ORCHID_RANK"] = str(rank)
    result["ORCHID_REPLICAS"] = str(replicas)
    return result


def resolves(command: str, path: str, cwd: Path) -> bool:
    """Whether `command` names an executable, looked up like the replica's exec will do it."""
    if os.sep in command and not os.path.isabs(command):
        command = str(cwd / command)
    return shutil.which(command, path=path) is not None


class _DetachedPopen(subprocess.Popen[bytes]):
    """A Popen that lets go of its process when it is garbage collected.

    Replicas are meant to outlive both this object and Orchid. The stock finaliser warns that the
    child "is still running" and may reap it, which would steal the exit status the provider
    collects itself (pidfd + waitpid).
    """

    def __del__(self) -> None:
        pass


@dataclass(frozen=True)
class Identity:
    """What tells a replica apart from a later process that happens to get the same pid."""

    pid: int
    starttime: int


def spawn(
    argv: Sequence[str], env: Mapping[str, str], job_dir: Path, rank: int, *, cwd: Path
) -> Identity:
    """Start one replica in its own session (its pid is its process group id), in `cwd` (the
    job's working folder; a sandboxed `argv` changes to /work itself). Its exit code and logs go
    to the job's bookkeeping folder `job_dir`.

    stdout/stderr are appended to files through plain descriptors, so the replica keeps writing
    when Orchid is gone (and a sandboxed job writes to them without seeing them). Raises OSError
    if the process cannot be started.
    """
    exit_file(job_dir, rank).unlink(missing_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
    out = os.open(stdout_file(job_dir, rank), flags, 0o644)
    try:
        err = os.open(stderr_file(job_dir, rank), flags, 0o644)
        try:
            proc = _DetachedPopen(
                [*WRAPPER_ARGV, str(exit_file(job_dir, rank)), *argv],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                cwd=cwd,
                env=dict(env),
                start_new_session=True,
            )
        finally:
            os.close(err)
    finally:
        os.close(out)
    starttime = proc_starttime(proc.pid)
    if starttime is None:  # our unreaped child always has a /proc entry
        raise OSError(f"cannot read /proc/{proc.pid}/stat")
    return Identity(proc.pid, starttime)


def _proc_stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat from field 3 on (the command name may contain spaces)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()


def proc_starttime(pid: int) -> int | None:
    """Field 22 of /proc/<pid>/stat: clock ticks after boot at which the process started."""
    fields = _proc_stat_fields(pid)
    return int(fields[22 - 3]) if fields else None


def is_our_child(pid: int) -> bool:
    fields = _proc_stat_fields(pid)
    return fields is not None and int(fields[4 - 3]) == os.getpid()


@functools.cache
def boot_id() -> str | None:
    """Tells one boot from the next (read once: it cannot change while this process lives), so pids and starttimes from before a reboot are not trusted."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None


def open_if_same(identity: Identity) -> int | None:
    """A pidfd for the process if it is still the one we started, else None.

    The pidfd is opened before the starttime is checked, so it cannot end up referring to a
    process that took over the pid in between.
    """
    try:
        pidfd = os.pidfd_open(identity.pid)
    except ProcessLookupError:
        return None
    if proc_starttime(identity.pid) != identity.starttime:
        os.close(pidfd)
        return None
    return pidfd


def pidfd_open(pid: int) -> int:
    return os.pidfd_open(pid)


def close_pidfd(pidfd: int) -> None:
    os.close(pidfd)


def read_exit_code(job_dir: Path, rank: int) -> int | None:
    """The exit code the wrapper recorded, or None if it never got to write it."""
    try:
        return int(exit_file(job_dir, rank).read_text().strip())
    except (OSError, ValueError):
        return None


def reap(pid: int) -> int | None:
    """Collect an exited child's status (128+N for signal N) without blocking."""
    try:
        reaped, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    if reaped == 0:
        return None
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def send_signal(pidfd: int, sig: signal.Signals) -> None:
    """Signal one process through its pidfd (immune to pid reuse)."""
    with contextlib.suppress(ProcessLookupError):
        signal.pidfd_send_signal(pidfd, sig)


_WRAPPER_CMDLINE = "\0".join(WRAPPER_ARGV).encode()


def command_started(pid: int) -> bool:
    """Whether the wrapper `pid` runs the user's command: it has a child, and that child has
    exec'd (a forked wrapper that has not yet exec'd would still swallow a SIGTERM).

    True as well when /proc cannot tell, so callers never wait forever."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = f.read().split()
        if not children:
            return False
        with open(f"/proc/{children[0]}/cmdline", "rb") as f:
            return not f.read().startswith(_WRAPPER_CMDLINE)
    except FileNotFoundError:
        return True
    except OSError:
        return True


def sandbox_init(pid: int) -> int | None:
    """The host pid of the PID namespace init of the sandbox that replica `pid` (its wrapper)
    runs, or None: not sandboxed, or the sandbox is not (or no longer) there.

    The wrapper's child is bwrap's outer monitor, whose child is the init. Both are children of
    a process we know, so the pids cannot belong to anyone else."""
    monitor = _first_child(pid)
    if monitor is None or not _cmdline(monitor).startswith(_BWRAP_CMDLINE):
        return None
    return _first_child(monitor)


def is_sandbox_monitor(pid: int) -> bool:
    """Whether the wrapper `pid`'s child is bwrap (whose sandbox may not be up yet)."""
    child = _first_child(pid)
    return child is not None and _cmdline(child).startswith(_BWRAP_CMDLINE)


def sandbox_running(init: int) -> bool:
    """Whether the sandbox init `init` has formed its process group (bwrap's --new-session) and
    started the job's command: only then does a SIGTERM to that group reach the job (the init
    itself ignores it, and a signal that comes earlier would be lost)."""
    fields = _proc_stat_fields(init)
    if fields is None:
        return True  # gone: nothing to wait for
    if int(fields[5 - 3]) != init:
        return False
    child = _first_child(init)
    return child is not None and not _cmdline(child).startswith(_BWRAP_CMDLINE)


def _first_child(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = f.read().split()
    except OSError:
        return None
    return int(children[0]) if children else None


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


_BWRAP_CMDLINE = sandbox.BWRAP.encode() + b"\0"


def signal_pid(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)
