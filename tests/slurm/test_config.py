"""The configuration file: providers and products, checked field by field."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchid.catalog import load_default_catalog
from orchid.config import LocalProviderConfig, SlurmProviderConfig, default_config, load_config
from orchid.runtime import load_setup
from orchid.settings import Settings

ISSUE_EXAMPLE = """
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
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "orchid.toml"
    path.write_text(text)
    return path


def test_the_example_of_the_issue(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ISSUE_EXAMPLE))
    hpc = config.providers["hpc"]
    assert isinstance(hpc, SlurmProviderConfig)
    options = hpc.options()
    assert options.slurm_conf == Path("/etc/slurm/slurm.conf")
    assert options.job_root == Path("/shared/orchid-jobs")
    assert options.partition == "debug" and options.account is None and options.qos is None
    [product] = config.products([])
    assert (product.id, product.category.name, product.category.provider) == (
        "hpc-small",
        "hpc",
        "hpc",
    )
    assert (product.cpu, product.memory_in_gigs, product.gpu) == (1, 1, 0)


def test_the_catalog_of_a_config_keeps_the_builtin_applications(tmp_path: Path) -> None:
    path = write(tmp_path, '[providers.example]\nkind = "local"\n' + ISSUE_EXAMPLE)
    setup = load_setup(Settings(config=path, data_dir=tmp_path))
    config, catalog = setup.config, setup.catalog()
    assert set(config.providers) == {"example", "hpc"}
    assert catalog.providers() == ["example", "hpc"]
    # the local provider without products keeps the built-in ones
    assert [p.id for p in catalog.products("example")] == [
        "example-compute",
        "example-compute-large",
    ]
    assert {a.metadata.name for a in catalog.applications()} >= {
        "shell-script",
        "acme-web-application",
    }


def test_without_a_file_orchid_serves_the_builtin_local_provider() -> None:
    assert list(default_config().providers) == ["example"]
    assert isinstance(default_config().providers["example"], LocalProviderConfig)
    assert default_config().products(load_default_catalog().products())


def test_relative_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    text = ISSUE_EXAMPLE.replace("/shared/orchid-jobs", "jobs").replace("/etc/slurm/", "")
    hpc = load_config(write(tmp_path, text)).providers["hpc"]
    assert isinstance(hpc, SlurmProviderConfig)
    assert hpc.job_root == tmp_path.resolve() / "jobs"
    assert hpc.slurm_conf == tmp_path.resolve() / "slurm.conf"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("partition", "partiton"), "partiton"),
        (lambda t: t.replace('kind = "slurm"', 'kind = "pbs"'), "kind"),
        (lambda t: t.replace('job_root = "/shared/orchid-jobs"', ""), "job_root"),
        (lambda t: t.replace("cpu = 1", "cpu = 0"), "cpu"),
        (lambda t: t.replace("/shared/orchid-jobs", "/shared/%u"), "must not contain '%'"),
        (lambda t: t + t[t.index("[[") :], "defined twice"),
        (
            lambda t: t.replace("[providers.hpc]", "[providers.'h p c']").replace(
                "providers.hpc.", "providers.'h p c'."
            ),
            "provider id",
        ),
        (lambda t: t.replace("=", ":", 1), "not valid TOML"),
    ],
)
def test_mistakes_are_refused_with_the_file_and_the_field(
    tmp_path: Path, change, message: str
) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, change(ISSUE_EXAMPLE))
    with pytest.raises(ValueError, match=message) as refused:
        load_config(path)
    assert str(path) in str(refused.value)


def test_a_local_provider_without_builtin_products_must_list_some(tmp_path: Path) -> None:
    path = write(tmp_path, '[providers.mine]\nkind = "local"\n')
    with pytest.raises(ValueError, match="lists no products"):
        load_setup(Settings(config=path, data_dir=tmp_path))


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        load_config(tmp_path / "nope.toml")
