"""A Slurm job's folder under the job root: what Orchid writes before sbatch, what the job writes.

    orchid-batch.sh   the batch script (constant text): rank 0 itself, or srun, one task per node
    orchid-rank.sh    the rank wrapper (constant text) that runs the user's command
    argv, env         the user's command and environment, NUL-separated (never shell source)
    sandbox           the command line (NUL-separated) the rank wrapper puts before argv: the
                      sandbox (bwrap up to its `--`), or `env -C work` without one
    work/             the job's own folder, seen as /work inside the sandbox (unless the service
                      gave the job another)
    submitting        written just before sbatch (see recovery in provider.py)
    slurm-job-id      Slurm's id, written as soon as sbatch returns it
    batch.stdout/err  the batch script's own output (srun's and Slurm's messages; several
                      replicas only: with one, the batch script is rank 0)
    rank-<r>.stdout/.stderr/.exit   each rank's output and exit code (same names as local)

Both scripts are constants: nothing the user typed is ever part of shell source. They are copied
into every job folder so that a job keeps the scripts it was submitted with.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from orchid.domain.sandbox import UnixIdentity
from orchid.providers import sandbox

BATCH_SCRIPT_NAME = "orchid-batch.sh"
RANK_SCRIPT_NAME = "orchid-rank.sh"
SUBMITTING_MARKER = "submitting"
WORKDIR = "work"
SLURM_ID_FILE = "slurm-job-id"

# Several replicas: one srun task per node of the allocation; srun numbers them 0..n-1 (%t), which
# is the rank (--cpus-per-task is passed on explicitly: srun 22.05 no longer inherits it). One
# replica: the batch step itself is rank 0, its output going straight to rank-0.* (sbatch_argv):
# a job step would double Slurm's work per job (a second slurmstepd, more RPCs) for nothing.
BATCH_SCRIPT = """\
#!/bin/bash
# Orchid batch script (constant). Runs rank 0 here, or one rank per node with srun; see
# orchid-rank.sh.
if [ "${SLURM_JOB_NUM_NODES:-1}" = 1 ]; then
  SLURM_PROCID=0 exec /bin/bash "$PWD/orchid-rank.sh"
fi
exec srun --ntasks-per-node=1 --cpus-per-task="${SLURM_CPUS_PER_TASK:-1}" --kill-on-bad-exit=0 \\
  --output="$PWD/rank-%t.stdout" --error="$PWD/rank-%t.stderr" /bin/bash "$PWD/orchid-rank.sh"
"""

# The wrapper reads the command and environment from NUL-separated files and records the exit
# code of the command in rank-<r>.exit. scancel sends SIGTERM to every process of the job: the
# wrapper and bwrap's outer monitor ignore it (the ignore is inherited; the monitor must outlive
# the job to report its status), and `env --default-signal=TERM` inside the sandbox gives the
# command the default back, so the job itself gets the SIGTERM, and the wrapper records its
# status (143 when SIGTERM ended it); only after KillWait's SIGKILL is there no exit file. The
# program's name must not contain '=' (env would take it for a variable; the provider refuses it).
# Its own variables start with __orchid_, a prefix the provider refuses in job environments.
RANK_SCRIPT = """\
#!/bin/bash
# Orchid rank wrapper (constant). Working directory: the job folder.
__orchid_exit="rank-${SLURM_PROCID:?not started by orchid-batch.sh}.exit"
mapfile -d '' __orchid_argv < argv
__orchid_sandbox=()
if [ -e sandbox ]; then mapfile -d '' __orchid_sandbox < sandbox; fi
if [ "${__orchid_sandbox[0]:-}" = /usr/bin/bwrap ] && [ ! -x /usr/bin/bwrap ]; then
  echo "orchid: the sandbox (bubblewrap) is not installed on $(hostname)" >&2
  echo 126 > "$__orchid_exit"
  exit 126
fi
while IFS= read -r -d '' __orchid_kv; do export "$__orchid_kv"; done < env
export ORCHID_RANK="$SLURM_PROCID"
trap '' TERM
trap : INT HUP
"${__orchid_sandbox[@]}" /usr/bin/env --default-signal=TERM "${__orchid_argv[@]}"
__orchid_code=$?
echo "$__orchid_code" > "$__orchid_exit"
exit "$__orchid_code"
"""

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def job_env(
    env: Mapping[str, str], job_id: str, replicas: int, *, sandboxed: bool = False
) -> dict[str, str]:
    """The job's environment plus Orchid's variables (ORCHID_RANK is set per rank by the
    wrapper). Sandboxed, `python3` is the system's and orchid.apps is importable (as with the
    local provider); without a sandbox `python3` resolves to Orchid's interpreter."""
    result = dict(env)
    if sandboxed:
        result = sandbox.sandbox_env(result, apps=True)
    else:
        base_path = env.get("PATH") or os.environ.get("PATH") or os.defpath
        result["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), base_path])
    result["ORCHID_JOB_ID"] = job_id
    result["ORCHID_REPLICAS"] = str(replicas)
    return result


def check_env_names(env: Mapping[str, str]) -> str | None:
    """Why this environment cannot be passed to a job, or None if it can."""
    for name, value in env.items():
        if not _ENV_NAME.fullmatch(name) or name.startswith("__orchid"):
            return f"{name!r} cannot be an environment variable name"
        if "\0" in value:
            return f"the value of {name} contains a NUL character"
    return None


def write(
    job_dir: Path,
    argv: Sequence[str],
    env: Mapping[str, str],
    owner: UnixIdentity | None = None,
    prefix: Sequence[str] = (),
) -> None:
    """Create the job folder with everything the job reads, ready for sbatch. With `owner` (the
    account the job is submitted as, when Orchid is root) the folder and what the job reads
    belong to that account, mode 0700: the job writes its output there, no other account reads
    it. `prefix` is what the wrapper runs the command under (the `sandbox` file above).

    Raises OSError if the folder cannot be written, ValueError if argv holds a NUL character.
    """
    if any("\0" in arg for arg in (*argv, *prefix)):
        raise ValueError("an argument contains a NUL character")
    why = unreachable_by(job_dir.parent, owner) if owner is not None else None
    if why is not None:
        raise ValueError(why)
    job_dir.mkdir(parents=True, exist_ok=True)
    _write(job_dir / BATCH_SCRIPT_NAME, BATCH_SCRIPT.encode(), 0o755)
    _write(job_dir / RANK_SCRIPT_NAME, RANK_SCRIPT.encode(), 0o755)
    _write(job_dir / "argv", b"".join(a.encode() + b"\0" for a in argv), 0o600, owner)
    env_data = b"".join(f"{k}={v}".encode() + b"\0" for k, v in env.items())
    _write(job_dir / "env", env_data, 0o600, owner)
    _write(job_dir / "sandbox", b"".join(a.encode() + b"\0" for a in prefix), 0o600, owner)
    if owner is not None:
        os.chown(job_dir, owner.uid, owner.gid, follow_symlinks=False)
        os.chmod(job_dir, 0o700, follow_symlinks=False)


def unreachable_by(folder: Path, owner: UnixIdentity) -> str | None:
    """Why `owner` cannot reach `folder` (a folder on the way it may not enter), or None.
    A job submitted as `owner` must enter its folder below the job root on every node."""
    try:
        groups = set(os.getgrouplist(owner.name, owner.gid))
    except OSError:
        groups = {owner.gid}
    for step in (folder, *folder.parents):
        try:
            st = os.stat(step)
        except FileNotFoundError:
            continue  # made by `write`, with the default mode
        if st.st_uid == owner.uid:
            allowed = st.st_mode & stat.S_IXUSR
        elif st.st_gid in groups:
            allowed = st.st_mode & stat.S_IXGRP
        else:
            allowed = st.st_mode & stat.S_IXOTH
        if not allowed:
            mode = stat.S_IMODE(st.st_mode)
            return (
                f"Unix account {owner.name!r} cannot enter {step} (mode {mode:o}); the job root "
                "and its parents must let users' accounts in (e.g. mode 711)"
            )
    return None


def make_workdir(workdir: Path, owner: UnixIdentity | None) -> None:
    """Create the job's own folder (mode 0700, belonging to `owner` when given). Raises OSError."""
    workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if owner is not None:
        os.chown(workdir, owner.uid, owner.gid, follow_symlinks=False)


def mark_submitting(job_dir: Path) -> None:
    _write(job_dir / SUBMITTING_MARKER, b"", 0o644)


def prepare(
    job_dir: Path,
    argv: Sequence[str],
    env: Mapping[str, str],
    owner: UnixIdentity | None = None,
    prefix: Sequence[str] = (),
) -> None:
    """`write` the folder, then mark it as being submitted (just before sbatch)."""
    write(job_dir, argv, env, owner, prefix)
    mark_submitting(job_dir)


def submitting_since(job_dir: Path) -> float | None:
    """When sbatch was last attempted for this folder (epoch seconds), or None if never."""
    try:
        return os.stat(job_dir / SUBMITTING_MARKER, follow_symlinks=False).st_mtime
    except OSError:
        return None


def record_slurm_id(job_dir: Path, slurm_id: str) -> None:
    _write(job_dir / SLURM_ID_FILE, f"{slurm_id}\n".encode(), 0o644)


def recorded_slurm_id(job_dir: Path) -> str | None:
    text = _read(job_dir / SLURM_ID_FILE)
    return text if text is not None and text.isdigit() else None


def batch_output(job_dir: Path, replicas: int) -> tuple[Path, Path]:
    """Where the batch script's stdout and stderr go: rank 0's files when it is rank 0."""
    if replicas == 1:
        return stdout_file(job_dir, 0), stderr_file(job_dir, 0)
    return job_dir / "batch.stdout", job_dir / "batch.stderr"


def batch_started(job_dir: Path, replicas: int) -> bool:
    """Whether the batch script ever ran (slurmstepd creates its output file when it starts)."""
    return batch_output(job_dir, replicas)[0].exists()


def stdout_file(job_dir: Path, rank: int) -> Path:
    return job_dir / f"rank-{rank}.stdout"


def stderr_file(job_dir: Path, rank: int) -> Path:
    return job_dir / f"rank-{rank}.stderr"


def read_exit_code(job_dir: Path, rank: int) -> int | None:
    """The exit code the rank wrapper recorded, or None if it never got to write it."""
    text = _read(job_dir / f"rank-{rank}.exit")
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


# The folder may belong to the job's account, which can put anything in it while Orchid (root)
# works there: Orchid never follows a link, nor opens anything but a regular file it created.


def _write(path: Path, data: bytes, mode: int, owner: UnixIdentity | None = None) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        os.fchmod(fd, mode)
        if owner is not None:
            os.fchown(fd, owner.uid, owner.gid)
    os.replace(tmp, path)


def _read(path: Path, limit: int = 4096) -> str | None:
    """The text of a small regular file (None if missing, a link, or anything else)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return f.read(limit).decode(errors="replace").strip()
