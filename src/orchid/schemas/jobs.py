"""Jobs: the specification a user submits, the job Orchid returns, updates, flags and follow messages."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator

from orchid.domain.limits import MAX_ITEMS_TO_SKIP, MAX_TIMESTAMP_MS
from orchid.domain.states import JobState
from orchid.schemas.apps import Application, AppParameterValue, NameAndVersion
from orchid.schemas.base import (
    IDS_PATTERN,
    NO_BOOL,
    Bool,
    Int,
    NextToken,
    PageSize,
    SimpleDuration,
    Wire,
)
from orchid.schemas.products import ComputeProduct, ProductReference, ResolvedSupport

# A createdAt bound in ms: range-checked so it can never overflow the database's integers.
Timestamp = Annotated[int, Field(ge=-MAX_TIMESTAMP_MS, le=MAX_TIMESTAMP_MS), NO_BOOL]


class JobSpecification(Wire):
    application: NameAndVersion
    product: ProductReference
    name: str | None = None
    replicas: Int = 1
    allow_duplicate_job: Bool | None = False
    parameters: dict[str, AppParameterValue] | None = None
    resources: list[AppParameterValue] | None = None
    time_allocation: SimpleDuration | None = None
    opened_file: str | None = None
    restart_on_exit: Bool | None = None
    ssh_enabled: Bool | None = None

    @field_validator("replicas", mode="before")
    @classmethod
    def _default_replicas(cls, value: object) -> object:
        return 1 if value is None else value


class ResourceOwner(Wire):
    created_by: str
    project: str | None = None


class JobUpdate(Wire):
    state: JobState | None = None
    output_folder: str | None = None
    status: str | None = None
    expected_state: JobState | None = None
    expected_different_state: bool | None = None
    new_time_allocation: int | None = None
    allow_restart: bool | None = None
    new_mounts: list[str] | None = None
    timestamp: int


class JobStatus(Wire):
    state: JobState
    job_parameters_json: dict[str, Any] | None = None
    started_at: int | None = None
    expires_at: int | None = None
    resolved_application: Application | None = None
    resolved_support: ResolvedSupport | None = None
    resolved_product: ComputeProduct | None = None
    allow_restart: bool = False


class JobOutput(Wire):
    output_folder: str | None = None


class Job(Wire):
    id: str
    owner: ResourceOwner
    updates: list[JobUpdate]
    specification: JobSpecification
    status: JobStatus
    created_at: int
    output: JobOutput | None = None
    permissions: None = None
    provider_generated_id: str | None = None


class JobIncludeFlags(Wire):
    """Flags of retrieve, browse and search. Absent, null and empty all mean 'not set'."""

    include_others: Bool | None = None
    include_updates: Bool | None = None
    include_support: Bool | None = None
    include_product: Bool | None = None
    include_parameters: Bool | None = None
    include_application: Bool | None = None
    filter_application: str | None = None
    filter_state: JobState | None = None
    filter_created_by: str | None = None
    filter_created_after: Timestamp | None = None
    filter_created_before: Timestamp | None = None
    filter_provider: str | None = None
    filter_product_id: str | None = None
    filter_product_category: str | None = None
    hide_provider: str | None = None
    hide_product_id: str | None = None
    hide_product_category: str | None = None
    filter_ids: str | None = Field(None, pattern=IDS_PATTERN)
    filter_provider_ids: str | None = Field(None, max_length=4000)

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value


class JobsExtendRequestItem(Wire):
    job_id: str
    requested_time: SimpleDuration

    @field_validator("job_id", mode="before")
    @classmethod
    def _accept_numbers(cls, value: object) -> object:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class PaginationFields(Wire):
    items_per_page: PageSize | None = None
    next: NextToken | None = None
    consistency: str | None = None
    items_to_skip: Annotated[int, Field(ge=0, le=MAX_ITEMS_TO_SKIP), NO_BOOL] | None = None
    sort_by: str | None = None
    sort_direction: str | None = None


class JobsSearchRequest(PaginationFields, JobIncludeFlags):
    """The search body. Flags may be nested under `flags` (docs, Kotlin) or at top level (core2)."""

    query: str | None = None
    flags: JobIncludeFlags | None = None

    def effective_flags(self) -> JobIncludeFlags:
        top = JobIncludeFlags.model_validate(
            self.model_dump(include=set(JobIncludeFlags.model_fields))
        )
        if self.flags is None:
            return top
        merged = top.model_dump(exclude_none=True) | self.flags.model_dump(exclude_none=True)
        return JobIncludeFlags.model_validate(merged)


class JobsLog(Wire):
    rank: int
    stdout: str | None = None
    stderr: str | None = None


class JobsFollowResponse(Wire):
    updates: list[JobUpdate] = Field(default_factory=list)
    log: list[JobsLog] = Field(default_factory=list)
    new_status: JobStatus | None = None
    initial_job: Job | None = None
