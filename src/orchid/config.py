"""The configuration file of `orchid serve --config FILE`: the providers, their products, and
where the operator's applications are.

TOML, one table per provider under `[providers.<id>]`, its products as `[[providers.<id>.products]]`::

    [providers.example]          # the built-in local provider, with its built-in products
    kind = "local"

    [providers.hpc]
    kind = "slurm"
    slurm_conf = "/etc/slurm/slurm.conf"
    partition = "debug"
    job_root = "/shared/orchid-jobs"

    [[providers.hpc.products]]
    id = "hpc-small"
    category = "hpc"
    cpu = 1
    memory_gib = 1

    [catalog]                    # the operator's applications, next to the built-in ones
    directories = ["apps"]

The file declares every provider Orchid serves: without a file, or without a `[providers]` table,
Orchid serves the built-in local provider `example` only. Unknown keys are refused (a misspelt key
must not vanish silently), and relative paths are relative to the file's directory. Every error is a ValueError naming the file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orchid.providers.slurm import SlurmOptions
from orchid.schemas.products import ComputeProduct, ProductCategoryId

DEFAULT_PROVIDER = "example"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProductConfig(_Strict):
    """One machine type: what one replica gets."""

    id: str = Field(min_length=1, description="Product id (and name) users pick.")
    category: str | None = Field(None, description="Product category; defaults to the id.")
    cpu: int = Field(ge=1, description="CPUs per replica.")
    memory_gib: int = Field(ge=1, description="Memory per replica, GiB.")
    gpu: int = Field(0, ge=0, description="GPUs per replica.")
    description: str | None = Field(None, description="Shown to users; generated if absent.")

    def to_product(self, provider_id: str) -> ComputeProduct:
        category = self.category or self.id
        gpus = f", {self.gpu} GPU" if self.gpu else ""
        return ComputeProduct(
            name=self.id,
            id=self.id,
            category=ProductCategoryId(id=category, name=category, provider=provider_id),
            description=self.description or f"{self.cpu} vCPU, {self.memory_gib} GiB{gpus}",
            cpu=self.cpu,
            memory_in_gigs=self.memory_gib,
            gpu=self.gpu,
        )


class LocalProviderConfig(_Strict):
    """Processes on this machine."""

    kind: Literal["local"]
    cpus: int | None = Field(None, ge=1, description="CPUs to hand out (ORCHID_LOCAL_CPUS).")
    memory_gib: int | None = Field(None, ge=1, description="GiB to hand out.")
    products: list[ProductConfig] | None = Field(
        None, description="Products; by default the built-in products of this provider id."
    )
    sandbox: Literal["bwrap", "none"] = Field(
        "bwrap",
        description='How replicas are isolated: "bwrap" (bubblewrap, the default) or "none" '
        "(no isolation at all: for development only).",
    )


class SlurmProviderConfig(_Strict):
    """A Slurm cluster."""

    kind: Literal["slurm"]
    slurm_conf: Path | None = Field(None, description="slurm.conf; default: $SLURM_CONF.")
    partition: str | None = Field(None, description="Partition; default: the cluster's.")
    account: str | None = Field(None, description="Account to charge.")
    qos: str | None = Field(None, description="Quality of service.")
    job_root: Path = Field(description="Job folders, on a filesystem all nodes share.")
    bin_dir: Path | None = Field(None, description="Where the Slurm commands are; default PATH.")
    poll_seconds: float = Field(0.5, gt=0, description="Interval of the squeue poll.")
    busy_poll_seconds: float = Field(
        0.05, gt=0, description="Poll interval while a job is starting or being cancelled."
    )
    command_timeout_seconds: float = Field(30.0, gt=0, description="Limit of one command.")
    sandbox: Literal["bwrap", "none"] = Field(
        "bwrap",
        description='How replicas are isolated on the nodes: "bwrap" (bubblewrap, the default; '
        'it must be installed on every node) or "none" (for development only).',
    )
    products: list[ProductConfig] = Field(min_length=1)

    def options(self) -> SlurmOptions:
        return SlurmOptions(
            job_root=self.job_root,
            slurm_conf=self.slurm_conf,
            partition=self.partition,
            account=self.account,
            qos=self.qos,
            bin_dir=self.bin_dir,
            poll_seconds=self.poll_seconds,
            busy_poll_seconds=self.busy_poll_seconds,
            command_timeout_seconds=self.command_timeout_seconds,
            sandbox=self.sandbox,
        )


ProviderConfig = Annotated[LocalProviderConfig | SlurmProviderConfig, Field(discriminator="kind")]


class CatalogConfig(_Strict):
    """Where the operator's applications are, next to the built-in ones."""

    directories: list[Path] = Field(
        default_factory=list,
        description="Directories of application and tool files in UCloud's format (YAML), "
        "searched recursively; relative to the configuration file.",
    )


def _default_providers() -> dict[str, LocalProviderConfig | SlurmProviderConfig]:
    return {DEFAULT_PROVIDER: LocalProviderConfig(kind="local")}


class OrchidConfig(_Strict):
    providers: dict[str, ProviderConfig] = Field(default_factory=_default_providers, min_length=1)
    catalog: CatalogConfig = Field(default_factory=lambda: CatalogConfig())

    def products(self, builtin: Sequence[ComputeProduct]) -> list[ComputeProduct]:
        """Every provider's products as catalog entries. A local provider that lists none takes
        the built-in products of its id. Raises ValueError if a provider ends up with none."""
        result: list[ComputeProduct] = []
        for provider_id, provider in self.providers.items():
            if provider.products is not None:
                result.extend(p.to_product(provider_id) for p in provider.products)
                continue
            inherited = [p for p in builtin if p.category.provider == provider_id]
            if not inherited:
                raise ValueError(
                    f"provider {provider_id!r} lists no products, and Orchid has no built-in "
                    "products for that id"
                )
            result.extend(inherited)
        return result


def default_config() -> OrchidConfig:
    """What Orchid serves without a configuration file: the local provider `example`."""
    return OrchidConfig()


def load_config(path: Path) -> OrchidConfig:
    """Read and check a configuration file. Raises ValueError naming the file and the problem."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ValueError(f"{path}: cannot read: {e.strerror or e}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ValueError(f"{path}: not valid TOML: {e}") from None
    try:
        config = OrchidConfig.model_validate(raw)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()
        )
        raise ValueError(f"{path}: {problems}") from None
    try:
        return _checked(_resolved(config, path.parent.resolve()))
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None


def _resolved(config: OrchidConfig, base: Path) -> OrchidConfig:
    providers: dict[str, LocalProviderConfig | SlurmProviderConfig] = {}
    for provider_id, provider in config.providers.items():
        if isinstance(provider, SlurmProviderConfig):
            updates: dict[str, Path] = {"job_root": base / provider.job_root}
            for key in ("slurm_conf", "bin_dir"):
                value = getattr(provider, key)
                if value is not None:
                    updates[key] = base / value
            provider = provider.model_copy(update=updates)
        providers[provider_id] = provider
    catalog = CatalogConfig(directories=[base / d for d in config.catalog.directories])
    return OrchidConfig(providers=providers, catalog=catalog)


def _checked(config: OrchidConfig) -> OrchidConfig:
    for provider_id, provider in config.providers.items():
        where = f"providers.{provider_id}"
        if not provider_id or not all(c.isalnum() or c in "-_" for c in provider_id):
            raise ValueError(f"{where}: a provider id is letters, digits, '-' and '_'")
        products = [p.id for p in provider.products or []]
        twice = sorted({p for p in products if products.count(p) > 1})
        if twice:
            raise ValueError(f"{where}: product {twice[0]!r} is defined twice")
        if isinstance(provider, SlurmProviderConfig) and "%" in str(provider.job_root):
            # Slurm expands %-patterns in output file names, which live under the job root.
            raise ValueError(f"{where}.job_root: must not contain '%'")
    return config
