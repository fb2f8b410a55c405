"""The catalog: the shipped defaults, lookups, support blocks and malformed catalog files."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orchid.catalog import Catalog, load_default_catalog, load_products
from orchid.catalog.loader import defaults_dir
from orchid.domain.products import Capabilities, ProductShape
from orchid.errors import BadRequest
from orchid.invocation import build_command, validate_parameters
from orchid.schemas.apps import IntegerValue, TextAreaValue
from orchid.schemas.products import ProductReference

EXAMPLE = ProductReference(id="example-compute", category="example-compute", provider="example")
LARGE = ProductReference(id="example-compute-large", category="example-compute", provider="example")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_default_catalog()


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data), encoding="utf-8")


# ---- The default catalog ----


def test_the_default_catalog_has_the_seed_apps_and_products(catalog: Catalog) -> None:
    apps = [(app.metadata.name, app.metadata.version) for app in catalog.applications()]
    products = [product.reference for product in catalog.products()]

    assert apps == [
        ("acme-web-application", "1.0.0"),
        ("jupyterlab", "4"),
        ("shell-script", "1.0.0"),
        ("sleep", "1.0.0"),
    ]
    assert products == [EXAMPLE, LARGE]
    assert catalog.providers() == ["example"]


def test_the_example_product_is_the_one_the_seeds_use(catalog: Catalog) -> None:
    product = catalog.product(EXAMPLE)

    assert product.model_dump(include={"cpu", "memory_in_gigs", "gpu", "description"}) == {
        "cpu": 1,
        "memoryInGigs": 1,
        "gpu": 0,
        "description": "1 vCPU, 1 GiB",
    }
    assert (product.price_per_unit, product.unit_of_price) == (1_000_000, "CREDITS_PER_MINUTE")
    assert catalog.shape(LARGE) == ProductShape(
        id="example-compute-large", cpu=2, memory_gib=4, gpu=0
    )


def test_acme_web_runs_the_bundled_server_on_a_free_port_by_default(catalog: Catalog) -> None:
    app = catalog.application("acme-web-application", "1.0.0")

    command = build_command(app, validate_parameters(app, None))

    assert app.invocation.application_type == "WEB"
    assert command.argv == ("python3", "-m", "orchid.apps.acme_web", "--port", "0")


def test_shell_script_passes_the_script_as_one_argument(catalog: Catalog) -> None:
    app = catalog.application("shell-script", "1.0.0")
    script = TextAreaValue(value="echo one\necho 'two three'")

    command = build_command(app, validate_parameters(app, {"script": script}))

    assert command.argv == ("bash", "-c", "echo one\necho 'two three'")
    with pytest.raises(BadRequest) as caught:
        validate_parameters(app, {})
    assert caught.value.error_code == "MISSING_PARAMETER"


def test_sleep_takes_a_number_of_seconds(catalog: Catalog) -> None:
    app = catalog.application("sleep", "1.0.0")

    command = build_command(app, validate_parameters(app, {"seconds": IntegerValue(value=5)}))

    assert command.argv == ("sleep", "5")
    with pytest.raises(BadRequest) as caught:
        validate_parameters(app, {"seconds": IntegerValue(value=-1)})
    assert caught.value.error_code == "INVALID_PARAMETER"


# ---- Lookups ----


def test_an_unknown_application_is_a_bad_request(catalog: Catalog) -> None:
    with pytest.raises(BadRequest) as caught:
        catalog.application("acme-web-application", "9.9.9")

    assert caught.value.why == "unknown application requested: acme-web-application@9.9.9"
    assert caught.value.error_code == "UNKNOWN_APPLICATION"


@pytest.mark.parametrize(
    "ref",
    [
        ProductReference(id="huge", category="example-compute", provider="example"),
        ProductReference(id="example-compute", category="gpu", provider="example"),
        ProductReference(id="example-compute", category="example-compute", provider="elsewhere"),
    ],
)
def test_an_unknown_product_is_a_bad_request(catalog: Catalog, ref: ProductReference) -> None:
    for lookup in (catalog.product, catalog.support, catalog.shape):
        with pytest.raises(BadRequest) as caught:
            lookup(ref)

        assert caught.value.why.startswith(f"bad machine type requested: {ref.id}")
        assert caught.value.error_code == "UNKNOWN_PRODUCT"


def test_products_can_be_listed_per_provider(catalog: Catalog) -> None:
    assert [p.id for p in catalog.products("example")] == [
        "example-compute",
        "example-compute-large",
    ]
    assert catalog.products("elsewhere") == []


# ---- Support ----


def test_support_enables_only_the_native_block(catalog: Catalog) -> None:
    support = catalog.support(EXAMPLE)

    disabled = {
        "enabled": False,
        "web": None,
        "vnc": None,
        "logs": None,
        "terminal": None,
        "peers": None,
        "timeExtension": None,
        "utilization": None,
    }
    assert support.model_dump(mode="json") == {
        "product": {"id": "example-compute", "category": "example-compute", "provider": "example"},
        "docker": disabled,
        "virtualMachine": disabled,
        "native": {**disabled, "enabled": True, "logs": True, "timeExtension": True},
        "maintenance": None,
    }


def test_support_reflects_the_provider_capabilities(catalog: Catalog) -> None:
    limited = catalog.with_capabilities({"example": Capabilities(time_extension=False, logs=False)})

    native = limited.support(EXAMPLE).native

    assert (native.enabled, native.logs, native.time_extension) == (True, False, False)


# ---- Products files ----


@pytest.fixture
def products_file(tmp_path: Path) -> Path:
    path = tmp_path / "products.json"
    shutil.copy(defaults_dir() / "products.json", path)
    return path


def drop_required_field(path: Path) -> None:
    products = read_json(path)
    del products[1]["cpu"]
    write_json(path, products)


def duplicate_a_product(path: Path) -> None:
    products = read_json(path)
    write_json(path, [*products, products[0]])


def break_json(path: Path) -> None:
    path.write_text("{not json", encoding="utf-8")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (break_json, "not readable as JSON"),
        (drop_required_field, "not a valid list of compute products"),
        (duplicate_a_product, "defined twice"),
    ],
    ids=lambda item: getattr(item, "__name__", ""),
)
def test_a_malformed_products_file_is_refused_naming_the_file(
    products_file: Path, damage: Callable[[Path], None], message: str
) -> None:
    damage(products_file)

    with pytest.raises(ValueError, match=message) as caught:
        load_products(products_file)

    assert str(caught.value).startswith(f"{products_file}: ")
