"""What browse and search may filter on, independent of the wire format."""

from __future__ import annotations

from dataclasses import dataclass

from orchid.domain.states import JobState


@dataclass(frozen=True)
class JobFilter:
    owner: str
    state: JobState | None = None
    application: str | None = None
    created_by: str | None = None
    created_after: int | None = None
    created_before: int | None = None
    provider: str | None = None
    product_id: str | None = None
    product_category: str | None = None
    hide_provider: str | None = None
    hide_product_id: str | None = None
    hide_product_category: str | None = None
    ids: tuple[int, ...] | None = None
    provider_ids: tuple[str, ...] | None = None
    query: str | None = None
