"""Every HTTP call of the API as data: what to send and how to read the answer.

Sans-I/O, so the sync and the async client share one description of each call and differ only in
how they send it. Requests and answers use the server's own wire models (`orchid.schemas`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeAlias, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from orchid.client.errors import ProtocolError, error_from_http
from orchid.schemas.apps import Application, ApplicationWithFavoriteAndTags
from orchid.schemas.base import BulkRequest, BulkResponse, FindByStringId, PageV2
from orchid.schemas.jobs import (
    Job,
    JobIncludeFlags,
    JobsExtendRequestItem,
    JobSpecification,
    JobsSearchRequest,
)
from orchid.schemas.products import ComputeProduct, SupportByProvider
from orchid.schemas.sessions import (
    JobsOpenInteractiveSessionRequestItem,
    OpenSessionWithProvider,
    SessionType,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request and the reader of its successful answer."""

    method: Literal["GET", "POST", "DELETE"]
    path: str
    read: Callable[[object], T]
    params: Mapping[str, str] = field(default_factory=dict)
    body: object | None = None

    def result(self, status: int, content: bytes) -> T:
        """The typed answer. Raises ApiError for an error status and ProtocolError for an
        answer that is not the API's JSON."""
        if status >= 400:
            raise error_from_http(status, content)
        try:
            return self.read(json.loads(content))
        except (ValueError, ValidationError) as exc:
            raise ProtocolError(
                f"{self.method} {self.path} answered {status} with something that is not "
                f"Orchid's API ({type(exc).__name__}): is the URL right?"
            ) from None


PageCall: TypeAlias = Callable[[str | None], Call[PageV2[T]]]
"""A page call waiting for its `next` token."""


def _reader(model: Any) -> Callable[[object], Any]:
    adapter: TypeAdapter[Any] = TypeAdapter(model)
    return adapter.validate_python


def _query(model: BaseModel | None) -> dict[str, str]:
    """A model flattened into query parameters, as UCloud's GET calls take their flags."""
    if model is None:
        return {}
    out: dict[str, str] = {}
    for key, value in model.model_dump(mode="json", exclude_none=True).items():
        out[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return out


def _page(items_per_page: int | None, next_token: str | None) -> dict[str, str]:
    out = {}
    if items_per_page is not None:
        out["itemsPerPage"] = str(items_per_page)
    if next_token is not None:
        out["next"] = next_token
    return out


def _ids(answer: object) -> list[str]:
    response = BulkResponse[FindByStringId].model_validate(answer)
    return [item.id for item in response.responses]


def _nothing(answer: object) -> None:
    if not isinstance(answer, dict):
        raise ValueError("expected a JSON object")


# ---- Jobs ----


def create(specs: Sequence[JobSpecification]) -> Call[list[str]]:
    body = BulkRequest[JobSpecification](items=list(specs))
    return Call("POST", "/api/jobs", _ids, body=body.model_dump(mode="json"))


def retrieve(job_id: str, flags: JobIncludeFlags | None) -> Call[Job]:
    return Call("GET", "/api/jobs/retrieve", _reader(Job), params={"id": job_id, **_query(flags)})


def browse(
    flags: JobIncludeFlags | None, items_per_page: int | None, next_token: str | None
) -> Call[PageV2[Job]]:
    params = {**_query(flags), **_page(items_per_page, next_token)}
    return Call("GET", "/api/jobs/browse", _reader(PageV2[Job]), params=params)


def search(
    query: str, flags: JobIncludeFlags | None, items_per_page: int | None, next_token: str | None
) -> Call[PageV2[Job]]:
    body = JobsSearchRequest(
        query=query, flags=flags, items_per_page=items_per_page, next=next_token
    )
    return Call(
        "POST",
        "/api/jobs/search",
        _reader(PageV2[Job]),
        body=body.model_dump(
            mode="json",
            exclude_none=True,
            include={"query", "flags", "items_per_page", "next"},
        ),
    )


def extend(items: Sequence[JobsExtendRequestItem]) -> Call[None]:
    body = BulkRequest[JobsExtendRequestItem](items=list(items))
    return Call("POST", "/api/jobs/extend", _nothing, body=body.model_dump(mode="json"))


def terminate(job_ids: Sequence[str]) -> Call[None]:
    body = BulkRequest[FindByStringId](items=[FindByStringId(id=i) for i in job_ids])
    return Call("POST", "/api/jobs/terminate", _nothing, body=body.model_dump(mode="json"))


def open_session(
    job_id: str, rank: int, session_type: SessionType
) -> Call[OpenSessionWithProvider]:
    item = JobsOpenInteractiveSessionRequestItem(id=job_id, rank=rank, session_type=session_type)
    body = BulkRequest[JobsOpenInteractiveSessionRequestItem](items=[item])

    def read(data: object) -> OpenSessionWithProvider:
        return _reader(BulkResponse[OpenSessionWithProvider])(data).responses[0]  # type: ignore[no-any-return]

    return Call("POST", "/api/jobs/interactiveSession", read, body=body.model_dump(mode="json"))


def retrieve_products() -> Call[SupportByProvider]:
    return Call("GET", "/api/jobs/retrieveProducts", _reader(SupportByProvider))


# ---- Catalog ----


def application(name: str, version: str | None) -> Call[ApplicationWithFavoriteAndTags]:
    params = {"appName": name} | ({"appVersion": version} if version else {})
    return Call(
        "GET",
        "/api/hpc/apps/byNameAndVersion",
        _reader(ApplicationWithFavoriteAndTags),
        params=params,
    )


def browse_applications(
    items_per_page: int | None, next_token: str | None
) -> Call[PageV2[Application]]:
    return Call(
        "GET",
        "/api/hpc/apps/browse",
        _reader(PageV2[Application]),
        params=_page(items_per_page, next_token),
    )


def browse_products(
    provider: str | None, items_per_page: int | None, next_token: str | None
) -> Call[PageV2[ComputeProduct]]:
    params = _page(items_per_page, next_token)
    if provider is not None:
        params["filterProvider"] = provider
    return Call("GET", "/api/products/browse", _reader(PageV2[ComputeProduct]), params=params)
