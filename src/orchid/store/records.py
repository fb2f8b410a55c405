"""Immutable snapshots the store hands out, so no ORM object leaks past the repository."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orchid.domain.states import JobState, expires_at


@dataclass(frozen=True)
class UpdateRecord:
    timestamp: int
    state: JobState | None
    status: str | None


@dataclass(frozen=True)
class NewJob:
    owner: str
    project: str | None
    app_name: str
    app_version: str
    product_provider: str
    product_category: str
    product_id: str
    name: str | None
    replicas: int
    specification: str
    duplicate_key: str | None
    time_allocation_ms: int | None


@dataclass(frozen=True)
class JobRecord:
    id: str
    owner: str
    project: str | None
    created_at: int
    state: JobState
    app_name: str
    app_version: str
    product_provider: str
    product_category: str
    product_id: str
    name: str | None
    replicas: int
    specification: str
    time_allocation_ms: int | None
    extension_ms: int
    started_at: int | None
    provider_handle: dict[str, Any] | None
    provider_job_id: str | None
    updates: tuple[UpdateRecord, ...] = field(default=())

    @property
    def expires_at(self) -> int | None:
        return expires_at(self.state, self.started_at, self.time_allocation_ms, self.extension_ms)
