"""Applications and products, loaded from files (the default catalog ships in `defaults/`)."""

from orchid.catalog.catalog import UNKNOWN_APPLICATION, UNKNOWN_PRODUCT, Catalog, version_key
from orchid.catalog.loader import ApplicationFiles, Loaded, load_default_catalog, load_products
from orchid.catalog.problems import CatalogFileError, Problem

__all__ = [
    "UNKNOWN_APPLICATION",
    "UNKNOWN_PRODUCT",
    "ApplicationFiles",
    "Catalog",
    "CatalogFileError",
    "Loaded",
    "Problem",
    "load_default_catalog",
    "load_products",
    "version_key",
]
