"""Applications and products, loaded from files (the default catalog ships in `defaults/`)."""

from orchid.catalog.catalog import UNKNOWN_APPLICATION, UNKNOWN_PRODUCT, Catalog
from orchid.catalog.loader import load_catalog, load_default_catalog

__all__ = [
    "UNKNOWN_APPLICATION",
    "UNKNOWN_PRODUCT",
    "Catalog",
    "load_catalog",
    "load_default_catalog",
]
