"""Catalog reads: applications and products."""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Query, Request

from orchid.api.auth import User
from orchid.api.state import runtime_of
from orchid.api.strict import StrictRoute
from orchid.catalog import Catalog
from orchid.errors import BadRequest, NotFound
from orchid.schemas.apps import Application, ApplicationWithFavoriteAndTags
from orchid.schemas.base import NextToken, PageSize, PageV2, Wire
from orchid.schemas.products import ComputeProduct

router = APIRouter(tags=["catalog"], route_class=StrictRoute)
T = TypeVar("T")


def _catalog(request: Request) -> Catalog:
    return runtime_of(request.app).catalog


class ByNameAndVersion(Wire):
    app_name: str
    app_version: str | None = None


class PageQuery(Wire):
    items_per_page: PageSize | None = None
    next: NextToken | None = None


class ProductsQuery(PageQuery):
    filter_area: Literal["COMPUTE"] | None = None
    filter_provider: str | None = None
    filter_category: str | None = None
    filter_name: str | None = None


def _page(items: list[T], page: PageQuery) -> PageV2[T]:
    size = page.items_per_page if page.items_per_page and page.items_per_page > 0 else 50
    size = min(size, 1000)
    start = 0
    if page.next:
        if not page.next.isdigit():
            raise BadRequest("next is not a token this server issued", "INVALID_NEXT")
        start = int(page.next)
    chunk = items[start : start + size]
    more = start + size < len(items)
    return PageV2[T](items_per_page=size, items=chunk, next=str(start + size) if more else None)


@router.get(
    "/api/hpc/apps/byNameAndVersion",
    response_model=ApplicationWithFavoriteAndTags,
    summary="apps.findByNameAndVersion",
)
async def by_name_and_version(
    request: Request, user: User, query: Annotated[ByNameAndVersion, Query()]
) -> ApplicationWithFavoriteAndTags:
    catalog = _catalog(request)
    if query.app_version is None:
        # Without a version: the newest, which is the default.
        found = catalog.newest(query.app_name)
        wanted = query.app_name
    else:
        found = catalog.find_application(query.app_name, query.app_version)
        wanted = f"{query.app_name}@{query.app_version}"
    if found is None:
        raise NotFound(f"unknown application: {wanted}", "UNKNOWN_APPLICATION")
    return ApplicationWithFavoriteAndTags.model_validate(found.model_dump())


@router.get("/api/hpc/apps/browse", response_model=PageV2[Application], summary="apps.browse")
async def browse_apps(
    request: Request, user: User, query: Annotated[PageQuery, Query()]
) -> PageV2[Application]:
    return _page(_catalog(request).applications(), query)


@router.get(
    "/api/products/browse", response_model=PageV2[ComputeProduct], summary="products.browse"
)
async def browse_products(
    request: Request, user: User, query: Annotated[ProductsQuery, Query()]
) -> PageV2[ComputeProduct]:
    products = [
        p
        for p in _catalog(request).products(query.filter_provider)
        if (query.filter_category is None or p.category.name == query.filter_category)
        and (query.filter_name is None or p.name == query.filter_name)
    ]
    return _page(products, query)
