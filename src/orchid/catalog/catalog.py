"""The catalog: the applications users may run and the machine types (products) they may run on."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from orchid.domain.products import Capabilities, ProductShape
from orchid.errors import BadRequest
from orchid.schemas.apps import Application
from orchid.schemas.products import (
    ComputeProduct,
    ComputeSupport,
    ProductReference,
    ProductWithSupport,
    SupportBlock,
    SupportByProvider,
)

UNKNOWN_APPLICATION = "UNKNOWN_APPLICATION"
UNKNOWN_PRODUCT = "UNKNOWN_PRODUCT"

ProductKey = tuple[str, str, str]


def product_key(ref: ProductReference) -> ProductKey:
    """(provider, category, id): the triple that identifies a machine type."""
    return (ref.provider, ref.category, ref.id)


class Catalog:
    """An immutable set of applications, keyed by (name, version), and of compute products,
    keyed by (provider, category, id).

    `capabilities` maps a provider id to what that provider supports; it decides the flags of the
    `native` support block. A provider missing from it is assumed to support logs and time
    extension only (no containers, web or terminal sessions).
    """

    def __init__(
        self,
        applications: Iterable[Application] = (),
        products: Iterable[ComputeProduct] = (),
        capabilities: Mapping[str, Capabilities] | None = None,
    ) -> None:
        self._applications: dict[tuple[str, str], Application] = {}
        for app in applications:
            key = (app.metadata.name, app.metadata.version)
            if key in self._applications:
                raise ValueError(f"application {key[0]}@{key[1]} is defined twice")
            self._applications[key] = app

        self._products: dict[ProductKey, ComputeProduct] = {}
        for product in products:
            pkey = product_key(product.reference)
            if pkey in self._products:
                raise ValueError(f"product {_describe(product.reference)} is defined twice")
            self._products[pkey] = product

        self._capabilities: dict[str, Capabilities] = dict(capabilities or {})

    def with_capabilities(self, capabilities: Mapping[str, Capabilities]) -> Catalog:
        """The same applications and products, with the given provider capabilities."""
        return Catalog(self._applications.values(), self._products.values(), capabilities)

    # ---- Applications ----

    def application(self, name: str, version: str) -> Application:
        """Raises BadRequest (UNKNOWN_APPLICATION) when the catalog has no such application."""
        try:
            return self._applications[(name, version)]
        except KeyError:
            raise BadRequest(
                f"unknown application requested: {name}@{version}", UNKNOWN_APPLICATION
            ) from None

    def find_application(self, name: str, version: str) -> Application | None:
        return self._applications.get((name, version))

    def applications(self) -> list[Application]:
        """Every application, sorted by name, then version (oldest first; see `version_key`)."""
        ordered = sorted(self._applications, key=lambda key: (key[0], version_key(key[1])))
        return [self._applications[key] for key in ordered]

    def newest(self, name: str) -> Application | None:
        """The default version of an application: its newest, by `version_key`."""
        versions = [key for key in self._applications if key[0] == name]
        if not versions:
            return None
        return self._applications[max(versions, key=lambda key: version_key(key[1]))]

    # ---- Products ----

    def product(self, ref: ProductReference) -> ComputeProduct:
        """Raises BadRequest (UNKNOWN_PRODUCT) when the catalog has no such product."""
        try:
            return self._products[product_key(ref)]
        except KeyError:
            raise BadRequest(
                f"bad machine type requested: {_describe(ref)}", UNKNOWN_PRODUCT
            ) from None

    def find_product(self, ref: ProductReference) -> ComputeProduct | None:
        return self._products.get(product_key(ref))

    def products(self, provider: str | None = None) -> list[ComputeProduct]:
        """The products of one provider, or of all; sorted by (provider, category, id)."""
        return [
            self._products[key]
            for key in sorted(self._products)
            if provider is None or key[0] == provider
        ]

    def providers(self) -> list[str]:
        """The ids of every provider that has at least one product, sorted."""
        return sorted({provider for provider, _, _ in self._products})

    def support(self, ref: ProductReference) -> ComputeSupport:
        """What the product supports: native jobs always, container jobs (the docker block) when
        its provider can run them, never VMs. Raises BadRequest (UNKNOWN_PRODUCT) for an unknown
        product."""
        product = self.product(ref)
        capabilities = self._capabilities.get(ref.provider, Capabilities())
        return ComputeSupport(
            product=product.reference,
            docker=SupportBlock(
                enabled=True,
                logs=capabilities.logs,
                time_extension=capabilities.time_extension,
                web=capabilities.web or None,
                terminal=capabilities.shell or None,
            )
            if capabilities.containers
            else SupportBlock(enabled=False),
            virtual_machine=SupportBlock(enabled=False),
            native=SupportBlock(
                enabled=True,
                logs=capabilities.logs,
                time_extension=capabilities.time_extension,
                web=capabilities.web or None,
                terminal=capabilities.shell or None,
            ),
        )

    def support_by_provider(self) -> SupportByProvider:
        """Every product with its support, grouped by provider (jobs.retrieveProducts)."""
        grouped: dict[str, list[ProductWithSupport]] = {}
        for product in self.products():
            ref = product.reference
            grouped.setdefault(ref.provider, []).append(
                ProductWithSupport(product=product, support=self.support(ref))
            )
        return SupportByProvider(products_by_provider=grouped)

    def shape(self, ref: ProductReference) -> ProductShape:
        """What one replica of the product needs. Raises BadRequest (UNKNOWN_PRODUCT)."""
        product = self.product(ref)
        return ProductShape(
            id=product.id, cpu=product.cpu, memory_gib=product.memory_in_gigs, gpu=product.gpu
        )


def version_key(version: str) -> tuple[tuple[int, int, str], ...]:
    """Orders versions as people read them: runs of digits compare as numbers ("1.10" after
    "1.9", "2025.11" after "2025.9"), other runs alphabetically, text before numbers.

    UCloud calls the most recently uploaded version the newest; files have no upload order, so
    Orchid compares the version strings instead."""
    return tuple(
        (1, int(part), "") if part.isdigit() else (0, 0, part)
        for part in re.findall(r"\d+|[^\d]+", version)
    )


def _describe(ref: ProductReference) -> str:
    return f"{ref.id} (category {ref.category}, provider {ref.provider})"
