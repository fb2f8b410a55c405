"""The one table from Slurm job states to what they mean for Orchid.

    Slurm state                         phase       fact (provider)             Orchid state (service)
    PENDING, CONFIGURING, REQUEUED...   QUEUED      Queued(pending reason)      IN_QUEUE
    RUNNING, COMPLETING, SUSPENDED...   RUNNING     Started                     RUNNING
    COMPLETED, FAILED                   EXITED      Exited(exit codes)          SUCCESS "completed (exit code N)"
    OUT_OF_MEMORY                       EXITED      Exited(codes, reason)       SUCCESS "... out of memory"
    CANCELLED                           CANCELLED   Exited(cancelled=...)       SUCCESS "cancelled"
    TIMEOUT, DEADLINE                   TIMED_OUT   TimedOut                    EXPIRED
    NODE_FAIL, BOOT_FAIL, PREEMPTED...  FAILED      Failed(reason)              FAILURE

A state that is not in the table means nothing: the job keeps its last known phase (and the provider
logs it). A job that Slurm no longer knows at all is not in this table either; the provider resolves
it from accounting or reports it as Failed, never as a success.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum


class Phase(Enum):
    QUEUED = "queued"
    RUNNING = "running"
    EXITED = "exited"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed out"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self not in (Phase.QUEUED, Phase.RUNNING)


@dataclass(frozen=True)
class Meaning:
    phase: Phase
    # For EXITED: why the job ended, when Slurm says more than the exit code (shown to the user).
    # For FAILED: what went wrong, in words.
    note: str | None = None


_QUEUED = Meaning(Phase.QUEUED)
_RUNNING = Meaning(Phase.RUNNING)

STATES: Mapping[str, Meaning] = {
    "PENDING": _QUEUED,
    # Resources are allocated but the nodes are still booting: nothing of the job runs yet.
    "CONFIGURING": _QUEUED,
    "REQUEUED": _QUEUED,
    "REQUEUE_HOLD": _QUEUED,
    "REQUEUE_FED": _QUEUED,
    "RESV_DEL_HOLD": _QUEUED,
    "RUNNING": _RUNNING,
    # Ending (epilog, or KillWait after scancel): the outcome is not known yet.
    "COMPLETING": _RUNNING,
    "SIGNALING": _RUNNING,
    "STAGE_OUT": _RUNNING,
    "RESIZING": _RUNNING,
    # Suspended or stopped by an administrator: the job still holds its allocation.
    "SUSPENDED": _RUNNING,
    "STOPPED": _RUNNING,
    "COMPLETED": Meaning(Phase.EXITED),
    "FAILED": Meaning(Phase.EXITED),
    "OUT_OF_MEMORY": Meaning(Phase.EXITED, "out of memory"),
    "CANCELLED": Meaning(Phase.CANCELLED),
    "TIMEOUT": Meaning(Phase.TIMED_OUT),
    "DEADLINE": Meaning(Phase.TIMED_OUT),
    "NODE_FAIL": Meaning(Phase.FAILED, "a node of the job failed"),
    "BOOT_FAIL": Meaning(Phase.FAILED, "a node of the job failed to boot"),
    "PREEMPTED": Meaning(Phase.FAILED, "the job was preempted by a job of higher priority"),
    "REVOKED": Meaning(Phase.FAILED, "the job was revoked (it runs on another cluster)"),
    "SPECIAL_EXIT": Meaning(Phase.FAILED, "the job was requeued in a special exit state"),
}

# Pending reasons that say nothing a user could act on (a job waits for the next scheduler pass).
SILENT_REASONS = frozenset({"", "None", "(null)"})


def normalize_state(text: str) -> str:
    """`CANCELLED by 0` (sacct) or `CANCELLED+` (flags) -> `CANCELLED`."""
    words = text.split()
    return words[0].rstrip("+").upper() if words else ""


def meaning_of(state: str) -> Meaning | None:
    """What a Slurm state means for Orchid, or None for a state this table does not know."""
    return STATES.get(normalize_state(state))
