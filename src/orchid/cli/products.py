"""Which product `--product` means: an ID, or PROVIDER/ID when several providers share the ID."""

from __future__ import annotations

from collections.abc import Sequence

from orchid.cli.errors import CliError
from orchid.schemas.products import ComputeProduct, ProductReference


def _label(product: ComputeProduct) -> str:
    return f"{product.category.provider}/{product.id}"


def resolve_product(products: Sequence[ComputeProduct], wanted: str | None) -> ProductReference:
    """The reference for `wanted`, or for the first product listed when it is None.
    Raises CliError when no product or several products match."""
    if not products:
        raise CliError("the server offers no products")
    if wanted is None:
        return products[0].reference
    provider, _, product_id = wanted.rpartition("/")
    matches = [
        p
        for p in products
        if p.id == product_id and (not provider or p.category.provider == provider)
    ]
    if not matches:
        known = ", ".join(_label(p) if provider else p.id for p in products)
        raise CliError(f"unknown product {wanted!r} (products: {known})")
    if len(matches) > 1:
        choices = ", ".join(_label(p) for p in matches)
        raise CliError(f"product {wanted!r} is ambiguous: use one of {choices}")
    return matches[0].reference
