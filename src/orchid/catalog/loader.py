"""Reading a catalog from files.

Layout (the default catalog ships inside the package, under `defaults/`)::

    products.json      a JSON list of products (Product.Compute, wire format)
    apps/*.json        one application per file (Application, wire format)

Every file is checked on load, and a malformed one raises ValueError naming the file. The wire
models ignore unknown fields, which is right for requests but would let a misspelt key in a
hand-written catalog (say `prefixGlobl`) vanish silently, so the loader also refuses unknown keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from orchid.catalog.catalog import Catalog, ProductKey, product_key
from orchid.domain.products import Capabilities
from orchid.invocation import check_application
from orchid.schemas.apps import Application
from orchid.schemas.products import ComputeProduct

T = TypeVar("T")

PRODUCTS_FILE = "products.json"
APPS_DIRECTORY = "apps"

_PRODUCTS: TypeAdapter[list[ComputeProduct]] = TypeAdapter(list[ComputeProduct])
_APPLICATION: TypeAdapter[Application] = TypeAdapter(Application)


def load_default_catalog(capabilities: Mapping[str, Capabilities] | None = None) -> Catalog:
    """The catalog shipped with Orchid (`orchid/catalog/defaults/`)."""
    return _load(files("orchid.catalog") / "defaults", capabilities)


def load_catalog(
    directory: Path, capabilities: Mapping[str, Capabilities] | None = None
) -> Catalog:
    """A catalog from `directory`, laid out like the default one. Raises ValueError if it is
    missing or any file in it is malformed."""
    if not directory.is_dir():
        raise ValueError(f"{directory}: the catalog directory does not exist")
    return _load(directory, capabilities)


def _load(root: Traversable, capabilities: Mapping[str, Capabilities] | None) -> Catalog:
    products_file = root / PRODUCTS_FILE
    if not products_file.is_file():
        raise ValueError(f"{products_file}: missing; a catalog needs a {PRODUCTS_FILE}")
    products = _read(products_file, _PRODUCTS, "list of compute products")
    seen_products: set[ProductKey] = set()
    for index, product in enumerate(products):
        where = f"{products_file}: product [{index}] ({product.id})"
        if product.id != product.name:
            raise ValueError(f"{where}: id and name must be equal")
        pkey = product_key(product.reference)
        if pkey in seen_products:
            raise ValueError(f"{where}: defined twice in provider {pkey[0]}")
        seen_products.add(pkey)

    applications: list[Application] = []
    seen_apps: dict[tuple[str, str], Traversable] = {}
    for app_file in _json_files(root / APPS_DIRECTORY):
        app = _read(app_file, _APPLICATION, "application")
        try:
            check_application(app)
        except ValueError as error:
            raise ValueError(f"{app_file}: {error}") from None
        key = (app.metadata.name, app.metadata.version)
        if key in seen_apps:
            raise ValueError(f"{app_file}: {key[0]}@{key[1]} is also defined in {seen_apps[key]}")
        seen_apps[key] = app_file
        applications.append(app)

    return Catalog(applications, products, capabilities)


def _json_files(directory: Traversable) -> list[Traversable]:
    if not directory.is_dir():
        return []
    found = [entry for entry in directory.iterdir() if entry.name.endswith(".json")]
    return sorted(found, key=lambda entry: entry.name)


def _read(file: Traversable, adapter: TypeAdapter[T], what: str) -> T:
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{file}: not readable as JSON: {error}") from None
    try:
        parsed = adapter.validate_python(raw)
    except ValidationError as error:
        raise ValueError(f"{file}: not a valid {what}: {error}") from None
    unknown = next(_unknown_keys(raw, parsed, "$"), None)
    if unknown is not None:
        raise ValueError(f"{file}: unknown field {unknown}")
    return parsed


def _unknown_keys(raw: object, parsed: object, path: str) -> Iterator[str]:
    """Keys of `raw` that no field of the model parsed from it accepts, as JSON paths."""
    if isinstance(parsed, BaseModel) and isinstance(raw, dict):
        accepted: dict[str, str] = {}
        for name, info in type(parsed).model_fields.items():
            accepted[name] = name
            accepted[info.alias or name] = name
        for key, value in raw.items():
            if key not in accepted:
                yield f"{path}.{key}"
            else:
                yield from _unknown_keys(value, getattr(parsed, accepted[key]), f"{path}.{key}")
    elif isinstance(parsed, list) and isinstance(raw, list):
        for index, (raw_item, item) in enumerate(zip(raw, parsed, strict=False)):
            yield from _unknown_keys(raw_item, item, f"{path}[{index}]")
    elif isinstance(parsed, dict) and isinstance(raw, dict):
        for key, value in raw.items():
            if key in parsed:
                yield from _unknown_keys(value, parsed[key], f"{path}.{key}")
