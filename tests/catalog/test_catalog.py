"""The catalog: the shipped defaults, lookups, support blocks and malformed catalog files."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import pytest

from orchid.catalog import Catalog, load_catalog, load_default_catalog
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


@pytest.fixture
def custom_dir(tmp_path: Path) -> Path:
    """A writable copy of the default catalog, to break in various ways."""
    with as_file(files("orchid.catalog") / "defaults") as defaults:
        shutil.copytree(defaults, tmp_path / "catalog")
    return tmp_path / "catalog"


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


# ---- Custom catalogs ----


def test_a_custom_catalog_directory_loads(custom_dir: Path) -> None:
    write_json(
        custom_dir / "products.json",
        [
            {
                "name": "tiny",
                "id": "tiny",
                "category": {"id": "small", "name": "small", "provider": "lab"},
                "cpu": 1,
                "memoryInGigs": 1,
            }
        ],
    )
    (custom_dir / "apps" / "sleep.json").unlink()

    catalog = load_catalog(custom_dir)

    assert catalog.providers() == ["lab"]
    assert [app.metadata.name for app in catalog.applications()] == [
        "acme-web-application",
        "shell-script",
    ]


def break_json(directory: Path) -> Path:
    (directory / "apps" / "sleep.json").write_text("{not json", encoding="utf-8")
    return directory / "apps" / "sleep.json"


def drop_required_field(directory: Path) -> Path:
    path = directory / "products.json"
    products = read_json(path)
    del products[1]["cpu"]
    write_json(path, products)
    return path


def misspell_a_key(directory: Path) -> Path:
    path = directory / "apps" / "acme-web-application.json"
    app = read_json(path)
    app["invocation"]["invocation"][3]["prefixGlobl"] = "--port"
    write_json(path, app)
    return path


def refer_to_an_undeclared_parameter(directory: Path) -> Path:
    path = directory / "apps" / "sleep.json"
    app = read_json(path)
    app["invocation"]["invocation"][1]["variableNames"] = ["secs"]
    write_json(path, app)
    return path


def give_a_bad_default(directory: Path) -> Path:
    path = directory / "apps" / "acme-web-application.json"
    app = read_json(path)
    app["invocation"]["parameters"][0]["defaultValue"] = 70000
    write_json(path, app)
    return path


def duplicate_an_application(directory: Path) -> Path:
    path = directory / "apps" / "zz-copy.json"
    shutil.copy(directory / "apps" / "sleep.json", path)
    return path


def duplicate_a_product(directory: Path) -> Path:
    path = directory / "products.json"
    products = read_json(path)
    write_json(path, [*products, products[0]])
    return path


def remove_the_products(directory: Path) -> Path:
    path = directory / "products.json"
    path.unlink()
    return path


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (break_json, "not readable as JSON"),
        (drop_required_field, "not a valid list of compute products"),
        (misspell_a_key, r"unknown field \$\.invocation\.invocation\[3\]\.prefixGlobl"),
        (refer_to_an_undeclared_parameter, "undeclared parameter 'secs'"),
        (give_a_bad_default, "greater than the maximum 65535"),
        (duplicate_an_application, "sleep@1.0.0 is also defined in"),
        (duplicate_a_product, "defined twice"),
        (remove_the_products, "missing; a catalog needs a products.json"),
    ],
    ids=lambda item: getattr(item, "__name__", ""),
)
def test_a_malformed_catalog_is_refused_naming_the_file(
    custom_dir: Path, damage: Callable[[Path], Path], message: str
) -> None:
    broken = damage(custom_dir)

    with pytest.raises(ValueError, match=message) as caught:
        load_catalog(custom_dir)

    assert str(caught.value).startswith(f"{broken}: ")


def test_a_missing_catalog_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        load_catalog(tmp_path / "nowhere")
