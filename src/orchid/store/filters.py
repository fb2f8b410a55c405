"""What browse and search may filter on, independent of the wire format.

Each filter is written once, here: its field is named after the browse flag it comes from
(`JobIncludeFlags.filter_application`, `hide_provider`, ...) and says which `jobs` column it
compares and how. The repository builds its WHERE clause from these declarations alone, and the
service copies the flags into a `JobFilter` by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Literal

from orchid.domain.states import JobState

Comparison = Literal["==", "!=", ">=", "<=", "in"]


def _on(column: str, comparison: Comparison) -> dict[str, str]:
    """A filter field's metadata: it keeps the jobs whose `column` <comparison> its value."""
    return {"column": column, "comparison": comparison}


@dataclass(frozen=True)
class JobFilter:
    owner: str
    filter_state: JobState | None = field(default=None, metadata=_on("state", "=="))
    filter_application: str | None = field(default=None, metadata=_on("app_name", "=="))
    filter_created_by: str | None = field(default=None, metadata=_on("owner", "=="))
    filter_created_after: int | None = field(default=None, metadata=_on("created_at", ">="))
    filter_created_before: int | None = field(default=None, metadata=_on("created_at", "<="))
    filter_provider: str | None = field(default=None, metadata=_on("product_provider", "=="))
    filter_product_id: str | None = field(default=None, metadata=_on("product_id", "=="))
    filter_product_category: str | None = field(
        default=None, metadata=_on("product_category", "==")
    )
    hide_provider: str | None = field(default=None, metadata=_on("product_provider", "!="))
    hide_product_id: str | None = field(default=None, metadata=_on("product_id", "!="))
    hide_product_category: str | None = field(default=None, metadata=_on("product_category", "!="))
    filter_ids: tuple[int, ...] | None = field(default=None, metadata=_on("id", "in"))
    filter_provider_ids: tuple[str, ...] | None = field(
        default=None, metadata=_on("provider_job_id", "in")
    )
    # Free text (search): the name or the application, case-insensitively; an id matches the job.
    query: str | None = None


# field name -> (column, comparison), in declaration order.
COLUMN_FILTERS: dict[str, tuple[str, Comparison]] = {
    f.name: (f.metadata["column"], f.metadata["comparison"])
    for f in fields(JobFilter)
    if "column" in f.metadata
}
