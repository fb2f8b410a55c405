"""Which provider may run which application: container images and a tool's supportedProviders,
checked at create before anything is stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchid.catalog import ApplicationFiles, Catalog
from orchid.catalog.loader import builtin_apps_dir, builtin_products
from orchid.domain.products import Capabilities
from orchid.errors import BadRequest
from orchid.schemas.jobs import JobSpecification
from orchid.service.jobs import JobService
from orchid.store.repository import Store
from tests.fakes import FakeProvider
from tests.service.helpers import ALICE, asynchronous

EXAMPLES = Path(__file__).parents[2] / "examples" / "apps"
IMAGE = "localhost/orchid-examples/busybox:1.35"


class ImageProvider(FakeProvider):
    """A fake provider that runs containers and has exactly the images it is given."""

    def __init__(self, images: set[str]) -> None:
        super().__init__(capabilities=Capabilities(containers=True))
        self.images = images

    async def check_image(self, image: str) -> None:
        if image not in self.images:
            raise BadRequest(f"no image {image}", "UNKNOWN_IMAGE")


def catalog(tmp_path: Path) -> Catalog:
    only_hpc = (EXAMPLES / "countdown.yml").read_text()
    only_hpc = only_hpc.replace("backend: NATIVE", "backend: NATIVE\nsupportedProviders: [hpc]")
    (tmp_path / "only-hpc.yml").write_text(only_hpc)
    (tmp_path / "hello-container.yml").write_text((EXAMPLES / "hello-container.yml").read_text())
    loaded = ApplicationFiles([builtin_apps_dir(), tmp_path]).load()
    assert loaded.problems == []
    return Catalog(loaded.applications, builtin_products())


def spec(app: str, version: str = "1.0") -> JobSpecification:
    return JobSpecification.model_validate(
        {
            "application": {"name": app, "version": version},
            "product": {
                "id": "example-compute",
                "category": "example-compute",
                "provider": "example",
            },
            "replicas": 1,
            "parameters": {},
        }
    )


async def create(store: Store, tmp_path: Path, provider: FakeProvider, app: str) -> list[str]:
    service = JobService(store, catalog(tmp_path), {provider.id: provider})
    provider.connect(service.on_fact)
    await service.start()
    try:
        return await service.create(ALICE, [spec(app)])
    finally:
        await service.stop()


@asynchronous
async def test_a_provider_without_containers_refuses_a_container_app(
    store: Store, tmp_path: Path
) -> None:
    provider = FakeProvider()

    with pytest.raises(BadRequest) as refused:
        await create(store, tmp_path, provider, "hello-container")

    assert refused.value.error_code == "CONTAINERS_NOT_SUPPORTED"
    assert refused.value.why == (
        "provider 'example' cannot run container applications "
        f"(application hello-container runs in image {IMAGE})"
    )
    assert provider.submitted == [] and store.active_jobs() == []


@asynchronous
async def test_a_missing_image_is_refused_and_nothing_is_stored(
    store: Store, tmp_path: Path
) -> None:
    provider = ImageProvider(images=set())

    with pytest.raises(BadRequest, match=f"no image {IMAGE}"):
        await create(store, tmp_path, provider, "hello-container")

    assert provider.submitted == [] and store.active_jobs() == []


@asynchronous
async def test_the_provider_gets_the_image_with_the_command(store: Store, tmp_path: Path) -> None:
    provider = ImageProvider(images={IMAGE})

    await create(store, tmp_path, provider, "hello-container")

    [run] = provider.submitted
    assert run.image == IMAGE
    assert run.argv[:2] == ("sh", "-c")


@asynchronous
async def test_a_tool_s_supported_providers_are_enforced(store: Store, tmp_path: Path) -> None:
    with pytest.raises(BadRequest) as refused:
        await create(store, tmp_path, FakeProvider(), "countdown")

    assert refused.value.error_code == "UNSUPPORTED_PROVIDER"
    assert (
        refused.value.why
        == "countdown@1.0 cannot run on provider 'example' (its tool supports: hpc)"
    )
