"""Command lines for Slurm 22.05: pure builders, one per command the provider runs.

Every argument is a separate argv element; no user text is ever part of a shell command. The
user's argv and environment reach the job through files in its folder (see jobfolder.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from orchid.domain.sandbox import UnixIdentity
from orchid.providers.slurm.options import SlurmOptions

SETPRIV = "/usr/bin/setpriv"

# squeue --Format fields, in the order parse.parse_squeue reads them. Each ends in `|` (the
# "suffix" of --Format), which also lifts the default width limit; the comment goes last.
SQUEUE_FIELDS = ("JobID", "State", "Reason", "TimeLimit", "exit_code", "Name", "Comment")

# Slurm's own limit is a backstop behind Orchid's expiry (which counts from the moment Orchid saw
# the job running, a poll later than Slurm's start): a little later than Orchid's deadline.
BACKSTOP_MINUTES = 1


@dataclass(frozen=True)
class Submission:
    """One job as sbatch sees it."""

    job_id: str
    job_dir: Path
    replicas: int
    cpus: int
    memory_gib: int
    gpus: int
    time_allocation_ms: int | None


def job_name(tag: str, job_id: str) -> str:
    return f"orchid-{tag}-{job_id}"


def job_comment(tag: str, job_id: str) -> str:
    return f"orchid:{tag}:{job_id}"


def owner_of(tag: str, comment: str) -> str | None:
    """The Orchid job id in a comment written by `job_comment` with this tag, else None."""
    prefix = f"orchid:{tag}:"
    if not comment.startswith(prefix):
        return None
    return comment[len(prefix) :] or None


def time_limit_minutes(allocation_ms: int) -> int:
    """Slurm's --time for an Orchid allocation: whole minutes, rounded up, plus the backstop."""
    return -(-allocation_ms // 60_000) + BACKSTOP_MINUTES


def command(options: SlurmOptions, name: str) -> str:
    return str(options.bin_dir / name) if options.bin_dir is not None else name


def sbatch_argv(options: SlurmOptions, tag: str, job: Submission, script: Path) -> list[str]:
    """sbatch for one job: one task per node (rank = node). The batch script's own output goes
    into the job folder: to rank 0's files for one replica (the batch script is rank 0), else
    to batch.stdout/.stderr (the ranks' output is set by srun in the batch script)."""
    folder = job.job_dir
    out, err = (
        ("rank-0.stdout", "rank-0.stderr")
        if job.replicas == 1
        else ("batch.stdout", "batch.stderr")
    )
    argv = [
        command(options, "sbatch"),
        "--parsable",
        f"--job-name={job_name(tag, job.job_id)}",
        f"--comment={job_comment(tag, job.job_id)}",
        f"--nodes={job.replicas}",
        "--ntasks-per-node=1",
        f"--cpus-per-task={job.cpus}",
        f"--mem={job.memory_gib * 1024}M",
        f"--chdir={folder}",
        f"--output={folder}/{out}",
        f"--error={folder}/{err}",
        # Slurm would otherwise run the job again after a node failure; Orchid never does.
        "--no-requeue",
    ]
    if job.gpus:
        argv.append(f"--gpus-per-node={job.gpus}")
    if job.time_allocation_ms is not None:
        argv.append(f"--time={time_limit_minutes(job.time_allocation_ms)}")
    if options.partition:
        argv.append(f"--partition={options.partition}")
    if options.account:
        argv.append(f"--account={options.account}")
    if options.qos:
        argv.append(f"--qos={options.qos}")
    argv.append(str(script))
    return argv


def as_account(identity: UnixIdentity, argv: Sequence[str]) -> list[str]:
    """`argv` run as `identity` (from root): sbatch this way submits the job as the user's account,
    so Slurm's accounting and limits apply to the user (decision 10). The environment is kept
    (SLURM_CONF)."""
    return [
        SETPRIV,
        f"--reuid={identity.uid}",
        f"--regid={identity.gid}",
        "--init-groups",
        "--",
        *argv,
    ]


def squeue_argv(options: SlurmOptions, uids: Iterable[int]) -> list[str]:
    """Every job of these users (by uid: Orchid's own account and those its jobs run as) that
    slurmctld remembers, finished ones included, in one query."""
    fields = ",".join(f"{field}:|" for field in SQUEUE_FIELDS)
    users = ",".join(str(uid) for uid in sorted(set(uids)))
    return [
        command(options, "squeue"),
        "--noheader",
        f"--users={users}",
        "--states=all",
        f"--Format={fields}",
    ]


def sacct_argv(options: SlurmOptions, slurm_ids: Iterable[str], *, completion: bool) -> list[str]:
    """The accounting records of some jobs; `completion` reads the jobcomp/filetxt log instead of
    slurmdbd (for clusters without accounting storage)."""
    argv = [
        command(options, "sacct"),
        "--noheader",
        "--parsable2",
        f"--jobs={','.join(slurm_ids)}",
        "--format=JobID,State,ExitCode,JobName",
    ]
    argv.append("--completion" if completion else "--allocations")
    return argv


def scancel_argv(options: SlurmOptions, slurm_ids: Sequence[str]) -> list[str]:
    """Cancel jobs: Slurm sends SIGTERM to every process of the job, then SIGKILL after the
    cluster's KillWait."""
    return [command(options, "scancel"), *slurm_ids]


def extend_argv(options: SlurmOptions, slurm_id: str, allocation_ms: int) -> list[str]:
    """Set the job's time limit to a new total (absolute, so repeating it is harmless)."""
    minutes = time_limit_minutes(allocation_ms)
    return [command(options, "scontrol"), "update", f"JobId={slurm_id}", f"TimeLimit={minutes}"]


def config_argv(options: SlurmOptions) -> list[str]:
    return [command(options, "scontrol"), "show", "config"]


def sinfo_argv(options: SlurmOptions) -> list[str]:
    argv = [command(options, "sinfo"), "--noheader", "--Node", "--format=%N|%c|%m|%G"]
    if options.partition:
        argv.append(f"--partition={options.partition}")
    return argv
