"""Products (machine types), providers and the support they declare."""

from __future__ import annotations

from typing import Literal

from orchid.schemas.base import Wire


class ProductReference(Wire):
    id: str
    category: str
    provider: str


class ProductCategoryId(Wire):
    id: str
    name: str
    provider: str


class ComputeProduct(Wire):
    """Product.Compute (v1), as `resolvedProduct` and in `/api/products/browse`."""

    type: Literal["compute"] = "compute"
    name: str
    id: str
    price_per_unit: int = 0
    category: ProductCategoryId
    description: str = ""
    priority: int = 0
    cpu: int
    memory_in_gigs: int
    gpu: int = 0
    cpu_model: str | None = None
    memory_model: str | None = None
    gpu_model: str | None = None
    version: int = 1
    free_to_use: bool = True
    allow_allocation_requests_from: str = "ALL"
    unit_of_price: str = "CREDITS_PER_MINUTE"
    charge_type: str = "ABSOLUTE"
    hidden_in_grant_applications: bool = False
    product_type: Literal["COMPUTE"] = "COMPUTE"

    @property
    def reference(self) -> ProductReference:
        return ProductReference(
            id=self.id, category=self.category.name, provider=self.category.provider
        )


class SupportBlock(Wire):
    enabled: bool | None = None
    web: bool | None = None
    vnc: bool | None = None
    logs: bool | None = None
    terminal: bool | None = None
    peers: bool | None = None
    time_extension: bool | None = None
    utilization: bool | None = None


class ComputeSupport(Wire):
    product: ProductReference
    docker: SupportBlock
    virtual_machine: SupportBlock
    native: SupportBlock
    maintenance: None = None


class ResolvedSupport(Wire):
    product: ComputeProduct
    support: ComputeSupport


class ProductWithSupport(Wire):
    product: ComputeProduct
    support: ComputeSupport


class SupportByProvider(Wire):
    products_by_provider: dict[str, list[ProductWithSupport]]
