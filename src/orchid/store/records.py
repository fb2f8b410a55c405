"""The job's shape, written once: its fields, its derived values, and how a row becomes a record.

`JobFields` are what a job is as submitted; `NewJob` is what the service inserts and `JobRecord` the
immutable snapshot the store hands out (so no ORM object leaks past the repository). Every field is
the `jobs` column of the same name: `insert_values` and `job_record` map them by name, and
tests/store/test_store.py checks that the table and these classes do not drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from orchid.domain.sandbox import UnixIdentity
from orchid.domain.states import JobState, expires_at, time_limit_ms


@dataclass(frozen=True)
class UpdateRecord:
    timestamp: int
    state: JobState | None
    status: str | None
    # Set on the update that starts the job: where its /work is (JobUpdate.outputFolder).
    output_folder: str | None = None


@dataclass(frozen=True)
class JobFields:
    """A job as submitted: set at create, never changed afterwards."""

    owner: str
    project: str | None
    app_name: str
    app_version: str
    product_provider: str
    product_category: str
    product_id: str
    name: str | None
    replicas: int
    # The specification exactly as accepted (wire format), so reads return what the user asked for.
    specification: str
    time_allocation_ms: int | None
    # The Unix account the job runs as (decision 10), fixed at create so that a restart re-attaches
    # the job as the same account even if the user's mapping changed meanwhile. None: unknown (a
    # job stored before identities existed).
    run_as_user: str | None = field(default=None, kw_only=True)
    run_as_uid: int | None = field(default=None, kw_only=True)
    run_as_gid: int | None = field(default=None, kw_only=True)

    @property
    def run_as(self) -> UnixIdentity | None:
        if self.run_as_user is None or self.run_as_uid is None or self.run_as_gid is None:
            return None
        return UnixIdentity(self.run_as_user, self.run_as_uid, self.run_as_gid)


@dataclass(frozen=True)
class NewJob(JobFields):
    """A job to insert. `duplicate_key` is set when allowDuplicateJob is false (cleared when the
    job ends), so an identical active job of the same owner can be found."""

    duplicate_key: str | None


@dataclass(frozen=True)
class JobRecord(JobFields):
    """A stored job: its submitted fields and where its life stands."""

    id: str
    created_at: int
    state: JobState
    extension_ms: int
    started_at: int | None
    provider_handle: dict[str, Any] | None
    provider_job_id: str | None
    # The UCloud path of the job's /work folder (decision 12); None for a job without one.
    output_folder: str | None
    updates: tuple[UpdateRecord, ...] = field(default=())

    @property
    def time_limit_ms(self) -> int | None:
        """The time allocation plus every extension; None when the job has no allocation."""
        return time_limit_ms(self.time_allocation_ms, self.extension_ms)

    @property
    def expires_at(self) -> int | None:
        """startedAt + the time limit while the job is active and started; None otherwise."""
        return expires_at(self.state, self.started_at, self.time_allocation_ms, self.extension_ms)


# The fields whose column holds the value as it is; the others are converted in `job_record`.
_NEW_COLUMNS = tuple(f.name for f in fields(NewJob))
_PLAIN_COLUMNS = tuple(
    f.name for f in fields(JobRecord) if f.name not in {"id", "state", "updates"}
)


def insert_values(job: NewJob, now: int) -> dict[str, Any]:
    """The `jobs` row of a new job: IN_QUEUE, created now, not extended yet."""
    values = {name: getattr(job, name) for name in _NEW_COLUMNS}
    values.update(created_at=now, state=JobState.IN_QUEUE.value, extension_ms=0)
    return values


def job_record(row: Any, updates: tuple[UpdateRecord, ...] = ()) -> JobRecord:
    """A snapshot from an ORM row or a Core row (both have the columns as attributes)."""
    return JobRecord(
        id=str(row.id),
        state=JobState(row.state),
        updates=updates,
        **{name: getattr(row, name) for name in _PLAIN_COLUMNS},
    )
