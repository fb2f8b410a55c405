"""/api/jobs: create, retrieve, browse, search, extend, terminate, retrieveProducts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import Field

from orchid.api.auth import User
from orchid.api.bulk_body import openapi_body, read_bulk
from orchid.api.state import runtime_of
from orchid.api.strict import StrictRoute
from orchid.schemas.base import BulkRequest, BulkResponse, Empty, FindByStringId, PageV2
from orchid.schemas.jobs import (
    Job,
    JobIncludeFlags,
    JobsExtendRequestItem,
    JobSpecification,
    JobsSearchRequest,
    PaginationFields,
)
from orchid.schemas.products import SupportByProvider
from orchid.service.jobs import JobService
from orchid.service.pacing import Pacer

router = APIRouter(prefix="/api/jobs", tags=["jobs"], route_class=StrictRoute)


def _service(request: Request) -> JobService:
    return runtime_of(request.app).service


class RetrieveQuery(JobIncludeFlags):
    id: str = Field(min_length=1, max_length=100)


class BrowseQuery(PaginationFields, JobIncludeFlags):
    pass


@router.post(
    "",
    response_model=BulkResponse[FindByStringId],
    summary="jobs.create",
    openapi_extra=openapi_body(JobSpecification),
)
async def create(request: Request, user: User) -> BulkResponse[FindByStringId]:
    # Read item by item (api/bulk_body.py): thousands of items never hold the event loop.
    runtime = runtime_of(request.app)
    pacer = Pacer(runtime.settings.create_step_ms / 1000)
    specs = await read_bulk(request, JobSpecification, runtime.limits, pacer)
    ids = await runtime.service.create(user, specs, pacer)
    return BulkResponse[FindByStringId](responses=[FindByStringId(id=i) for i in ids])


@router.get("/retrieve", response_model=Job, summary="jobs.retrieve")
async def retrieve(request: Request, user: User, query: Annotated[RetrieveQuery, Query()]) -> Job:
    return _service(request).retrieve(user, query.id, query)


@router.get("/browse", response_model=PageV2[Job], summary="jobs.browse")
async def browse_jobs(
    request: Request, user: User, query: Annotated[BrowseQuery, Query()]
) -> PageV2[Job]:
    return _service(request).browse(user, query, query)


@router.post("/search", response_model=PageV2[Job], summary="jobs.search")
async def search(request: Request, user: User, body: JobsSearchRequest) -> PageV2[Job]:
    return _service(request).browse(user, body.effective_flags(), body, body.query)


@router.post("/extend", response_model=BulkResponse[Empty], summary="jobs.extend")
async def extend(
    request: Request, user: User, body: BulkRequest[JobsExtendRequestItem]
) -> BulkResponse[Empty]:
    await _service(request).extend(user, body.items)
    return BulkResponse[Empty](responses=[Empty() for _ in body.items])


@router.post("/terminate", response_model=BulkResponse[Empty], summary="jobs.terminate")
async def terminate(
    request: Request, user: User, body: BulkRequest[FindByStringId]
) -> BulkResponse[Empty]:
    await _service(request).terminate(user, [item.id for item in body.items])
    return BulkResponse[Empty](responses=[Empty() for _ in body.items])


@router.get("/retrieveProducts", response_model=SupportByProvider, summary="jobs.retrieveProducts")
async def retrieve_products(request: Request, user: User) -> SupportByProvider:
    return _service(request).products()
