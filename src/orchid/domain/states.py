"""Job states and the one table of transitions between them."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from orchid.errors import InvalidTransition


class JobState(StrEnum):
    IN_QUEUE = "IN_QUEUE"
    RUNNING = "RUNNING"
    CANCELING = "CANCELING"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    EXPIRED = "EXPIRED"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATES


FINAL_STATES: frozenset[JobState] = frozenset(
    {JobState.SUCCESS, JobState.FAILURE, JobState.EXPIRED}
)
ACTIVE_STATES: frozenset[JobState] = frozenset(JobState) - FINAL_STATES

# Every allowed move. A final state never changes again; CANCELING cannot expire, because the user
# asked for the job to end and the time allocation no longer matters.
TRANSITIONS: Mapping[JobState, frozenset[JobState]] = {
    JobState.IN_QUEUE: frozenset(
        {JobState.RUNNING, JobState.CANCELING, JobState.SUCCESS, JobState.FAILURE}
    ),
    JobState.RUNNING: frozenset(
        {JobState.CANCELING, JobState.SUCCESS, JobState.FAILURE, JobState.EXPIRED}
    ),
    JobState.CANCELING: frozenset({JobState.SUCCESS, JobState.FAILURE}),
    JobState.SUCCESS: frozenset(),
    JobState.FAILURE: frozenset(),
    JobState.EXPIRED: frozenset(),
}


def can_transition(current: JobState, new: JobState) -> bool:
    return new in TRANSITIONS[current]


def ensure_transition(current: JobState, new: JobState) -> None:
    """Raise InvalidTransition unless `current -> new` is in the table."""
    if not can_transition(current, new):
        raise InvalidTransition(f"A job cannot go from {current} to {new}")


# The status texts the service writes with each state (UCloud's wording where it has one).
STATUS_QUEUED = "Your job is now waiting in the queue!"
STATUS_RUNNING = "Your job is now running!"
STATUS_CANCELING = "Your job is being cancelled"
STATUS_CANCELLED = "Your job has been cancelled!"
STATUS_EXPIRED = "Your job has expired!"


def status_completed(exit_codes: Mapping[int, int]) -> str:
    """The SUCCESS text for a job whose replicas all exited on their own."""
    codes = sorted(exit_codes.items())
    if not codes:
        return "Your job has completed"
    if len(codes) == 1 or len({c for _, c in codes}) == 1:
        return f"Your job has completed (exit code {codes[0][1]})"
    per_rank = ", ".join(f"rank {r}: {c}" for r, c in codes)
    return f"Your job has completed (exit codes {per_rank})"


def time_limit_ms(time_allocation_ms: int | None, extension_ms: int) -> int | None:
    """How long a job may run: its time allocation plus every extension; None without an
    allocation (the job runs until it ends)."""
    if time_allocation_ms is None:
        return None
    return time_allocation_ms + extension_ms


def expires_at(
    state: JobState, started_at: int | None, time_allocation_ms: int | None, extension_ms: int
) -> int | None:
    """startedAt + timeAllocation + extensions; null before the start, without an allocation,
    and once the job is final."""
    limit = time_limit_ms(time_allocation_ms, extension_ms)
    if state.is_final or started_at is None or limit is None:
        return None
    return started_at + limit
