"""Browse and search: flags to filters, PageV2 paging with an opaque `next` (the last id seen)."""

from __future__ import annotations

from pydantic.alias_generators import to_camel

from orchid.catalog import Catalog
from orchid.domain.ids import parse_id
from orchid.domain.limits import Limits
from orchid.domain.states import JobState
from orchid.errors import BadRequest
from orchid.schemas.base import PageV2
from orchid.schemas.jobs import Job, JobIncludeFlags, PaginationFields
from orchid.service.views import job_view
from orchid.store.filters import COLUMN_FILTERS, JobFilter
from orchid.store.repository import Store

DEFAULT_PAGE = 50
MAX_PAGE = 1000
MAX_IDS = 1000  # core2's bound on filterProviderIds, for both id lists

# The flags copied into a JobFilter as they are (the id lists are parsed first).
PLAIN_FILTERS = tuple(
    name for name in COLUMN_FILTERS if name not in {"filter_ids", "filter_provider_ids"}
)


def _id_list(text: str, what: str) -> tuple[str, ...]:
    items = tuple(part.strip() for part in text.split(",") if part.strip())
    if not items:
        raise BadRequest(f"{what} must be a comma-separated list", "INVALID_FILTER")
    if len(items) > MAX_IDS:
        raise BadRequest(f"{what} can list at most {MAX_IDS} ids", "INVALID_FILTER")
    return items


def job_filter(user: str, flags: JobIncludeFlags, query: str | None) -> JobFilter:
    ids = None
    if flags.filter_ids is not None:
        parsed = [parse_id(i) for i in _id_list(flags.filter_ids, "filterIds")]
        if None in parsed:
            raise BadRequest("filterIds must list job ids (numbers)", "INVALID_FILTER")
        ids = tuple(i for i in parsed if i is not None)
    provider_ids = None
    if flags.filter_provider_ids is not None:
        provider_ids = _id_list(flags.filter_provider_ids, "filterProviderIds")
    return JobFilter(
        owner=user,
        filter_ids=ids,
        filter_provider_ids=provider_ids,
        query=query.strip() if query and query.strip() else None,
        **{name: getattr(flags, name) for name in PLAIN_FILTERS},
    )


def browse(
    store: Store,
    catalog: Catalog,
    limits: Limits,
    user: str,
    flags: JobIncludeFlags,
    page: PaginationFields,
    query: str | None = None,
) -> PageV2[Job]:
    """One page of the user's jobs matching the flags (and the search query), as JobService.browse
    answers it."""
    limits.check_query("query", query)
    for name in PLAIN_FILTERS:
        value = getattr(flags, name)
        if isinstance(value, str) and not isinstance(value, JobState):
            limits.check_query(to_camel(name), value)
    size = page.items_per_page if page.items_per_page and page.items_per_page > 0 else DEFAULT_PAGE
    size = min(size, MAX_PAGE)
    after = None
    if page.next:
        after = parse_id(page.next)
        if after is None:
            raise BadRequest("next is not a token this server issued", "INVALID_NEXT")
    if page.sort_by not in (None, "createdAt", "id"):
        raise BadRequest("sortBy must be createdAt", "INVALID_SORT")
    if page.sort_direction not in (None, "ascending", "descending"):
        raise BadRequest("sortDirection must be ascending or descending", "INVALID_SORT")
    ascending = page.sort_direction == "ascending" and page.sort_by is not None
    records = store.browse(
        job_filter(user, flags, query),
        limit=size + 1,
        after=after,
        ascending=ascending,
        offset=page.items_to_skip or 0 if after is None else 0,
        with_updates=bool(flags.include_updates),
    )
    more = len(records) > size
    records = records[:size]
    items = [
        job_view(
            r,
            catalog,
            flags,
            with_updates=bool(flags.include_updates),
            with_parameters=bool(flags.include_parameters),
        )
        for r in records
    ]
    return PageV2[Job](
        items_per_page=size, items=items, next=records[-1].id if more and records else None
    )
