"""Parsers of the Slurm 22.05 command output the provider reads. Pure functions, each tested
against output recorded from a real cluster (tests/slurm/data/).

Each parser raises ValueError on output it cannot read, naming what it expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from orchid.providers.slurm.commands import SQUEUE_FIELDS


@dataclass(frozen=True)
class QueueRow:
    """One job as `squeue` shows it (see commands.squeue_argv)."""

    slurm_id: str
    state: str
    reason: str
    time_limit_minutes: int | None  # None: UNLIMITED or not set
    exit_status: int  # raw wait status, as squeue prints it (768 = exit 3)
    name: str
    comment: str


@dataclass(frozen=True)
class AccountingRow:
    """One job as `sacct` (or `sacct --completion`) remembers it."""

    slurm_id: str
    state: str
    exit_code: str  # "exit:signal", e.g. "3:0"
    name: str


@dataclass(frozen=True)
class ClusterConfig:
    """The parts of `scontrol show config` the provider depends on."""

    cluster_name: str
    accounting_storage: str
    job_completion: str
    min_job_age_seconds: int

    @property
    def has_accounting(self) -> bool:
        return self.accounting_storage not in ("", "accounting_storage/none")

    @property
    def has_completion_log(self) -> bool:
        return self.job_completion == "jobcomp/filetxt"


@dataclass(frozen=True)
class NodeShape:
    name: str
    cpus: int
    memory_mb: int
    gpus: int


def parse_sbatch(stdout: str) -> str:
    """The job id printed by `sbatch --parsable` (`123`, or `123;cluster` on a multi-cluster)."""
    lines = [line.strip() for line in stdout.splitlines() if line.strip()]
    if not lines:
        raise ValueError("sbatch printed no job id")
    job_id = lines[-1].split(";", 1)[0]
    if not job_id.isdigit():
        raise ValueError(f"sbatch printed {lines[-1]!r}, not a job id")
    return job_id


def parse_squeue(stdout: str) -> list[QueueRow]:
    """Rows of `squeue --noheader --Format=<SQUEUE_FIELDS>`: every field followed by `|`, the
    comment last (it is Orchid's own text, and may contain anything but a newline)."""
    rows = []
    count = len(SQUEUE_FIELDS)
    for line in stdout.splitlines():
        line = line.rstrip("\n")
        if not line.strip():
            continue
        # Every field, the last one too, ends in the `|` suffix.
        if not line.endswith("|"):
            raise ValueError(f"squeue line does not end in '|': {line!r}")
        fields = line[:-1].split("|", count - 1)
        if len(fields) != count:
            raise ValueError(f"squeue line has {len(fields)} fields, not {count}: {line!r}")
        job_id, state, reason, limit, status, name, comment = (f.strip() for f in fields)
        if not job_id.isdigit() or not status.lstrip("-").isdigit():
            raise ValueError(f"not a squeue job line: {line!r}")
        rows.append(
            QueueRow(job_id, state, reason, parse_time_limit(limit), int(status), name, comment)
        )
    return rows


def parse_sacct(stdout: str) -> list[AccountingRow]:
    """Rows of `sacct --noheader --parsable2 --format=JobID,State,ExitCode,JobName`. Job steps
    (`12.batch`, `12.0`) are skipped: the allocation line holds the job's outcome."""
    rows = []
    for line in stdout.splitlines():
        if not line.strip():
            continue
        fields = line.split("|", 3)
        if len(fields) != 4:
            raise ValueError(f"not a sacct line: {line!r}")
        job_id, state, exit_code, name = fields
        if "." in job_id:
            continue
        if not job_id.isdigit():
            raise ValueError(f"not a sacct job line: {line!r}")
        rows.append(AccountingRow(job_id, state.strip(), exit_code.strip(), name))
    return rows


def parse_config(stdout: str) -> ClusterConfig:
    """`scontrol show config`: lines of `Key = Value`."""
    values: dict[str, str] = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    if "ClusterName" not in values:
        raise ValueError("scontrol show config printed no ClusterName")
    age = values.get("MinJobAge", "300 sec").split()[0]
    return ClusterConfig(
        cluster_name=values["ClusterName"],
        accounting_storage=values.get("AccountingStorageType", ""),
        job_completion=values.get("JobCompType", ""),
        min_job_age_seconds=int(age) if age.isdigit() else 300,
    )


_GPU = re.compile(r"gpu(?::[^:,()]+)?:(\d+)")


def parse_sinfo(stdout: str) -> list[NodeShape]:
    """Rows of `sinfo --noheader --Node --format=%N|%c|%m|%G` (a node may be listed once per
    partition; it is kept once)."""
    nodes: dict[str, NodeShape] = {}
    for line in stdout.splitlines():
        if not line.strip():
            continue
        fields = line.split("|")
        if len(fields) != 4:
            raise ValueError(f"not a sinfo line: {line!r}")
        name, cpus, memory, gres = (f.strip() for f in fields)
        gpus = sum(int(n) for n in _GPU.findall(gres))
        nodes[name] = NodeShape(name, int(cpus), int(memory.rstrip("+")), gpus)
    return list(nodes.values())


def parse_time_limit(text: str) -> int | None:
    """Slurm's `[days-]hours:minutes:seconds` (or `minutes:seconds`, `minutes`) as whole
    minutes, rounded up; None for UNLIMITED and for a limit that is not set."""
    text = text.strip()
    if text.upper() in ("UNLIMITED", "INFINITE", "NOT_SET", "N/A", ""):
        return None
    days = 0
    if "-" in text:
        day_text, text = text.split("-", 1)
        days = int(day_text)
    parts = [int(p) for p in text.split(":")]
    if len(parts) == 1:
        seconds = parts[0] * 60
    elif len(parts) == 2 and days:
        seconds = parts[0] * 3600 + parts[1] * 60
    elif len(parts) == 2:
        seconds = parts[0] * 60 + parts[1]
    elif len(parts) == 3:
        seconds = parts[0] * 3600 + parts[1] * 60 + parts[2]
    else:
        raise ValueError(f"not a Slurm time: {text!r}")
    total = days * 86400 + seconds
    return -(-total // 60)


def code_from_wait_status(status: int) -> int:
    """squeue's raw wait status as a shell exit code: 768 -> 3, 9 (SIGKILL) -> 137."""
    signal = status & 0x7F
    return 128 + signal if signal else (status >> 8) & 0xFF


def code_from_exit_field(text: str) -> int:
    """sacct's and scontrol's `exit:signal` as a shell exit code: `3:0` -> 3, `0:9` -> 137."""
    exit_text, _, signal_text = text.partition(":")
    signal = int(signal_text or 0)
    return 128 + signal if signal else int(exit_text)


# What Slurm's commands print when the controller does not answer (as opposed to refusing).
_TRANSIENT = (
    "unable to contact slurm controller",
    "socket timed out",
    "connection refused",
    "zero bytes were transmitted",
    "temporarily unavailable",
    "slurm temporarily unable",
    "communication connection failure",
    "transport endpoint",
    # scontrol update's way of saying it could not reach slurmctld (22.05)
    "unexpected message received",
)


def is_transient(message: str) -> bool:
    """Whether a failed command's message means "try again later" rather than "no"."""
    lowered = message.lower()
    return any(pattern in lowered for pattern in _TRANSIENT)
