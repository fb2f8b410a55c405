"""The provider contract suite: the same stories against a real `orchid serve --config FILE`
whose products belong to a local provider, and to a Slurm provider on the test cluster.

A `Target` is one such server plus what the stories need to know about its provider: the product
of one CPU, the product that fills a whole node (or the whole machine), and how many of those fit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.slurm.cluster import VCPUS, Cluster, shared_cluster
from tests.support import Api, Server

KINDS = ["local", "slurm"]


@dataclass
class Target:
    kind: str
    provider: str
    category: str
    small: str  # 1 CPU
    node: str  # a whole node: `slots` of them fit at once
    slots: int
    config: Path
    cluster: Cluster | None = None
    # Where a Slurm provider keeps its job folders (a local provider: the data directory's jobs/)
    job_root: Path | None = None
    servers: list[Server] = field(default_factory=list)
    # Slurm: each data directory's storage root (drives), which the users' accounts on the nodes
    # must reach like the job root (the pytest temporary directory is 0700 root).
    storage_roots: dict[Path, Path] = field(default_factory=dict)

    def server(self, data_dir: Path, **env: str) -> Server:
        if self.cluster is not None and "ORCHID_STORAGE_ROOT" not in env:
            if data_dir not in self.storage_roots:
                self.storage_roots[data_dir] = self.cluster.job_root(f"files-{data_dir.name}")
            env["ORCHID_STORAGE_ROOT"] = str(self.storage_roots[data_dir])
        server = Server(data_dir, env=dict(env), args=["--config", str(self.config)]).start()
        self.servers.append(server)
        return server

    def spec(self, product: str | None = None, **kwargs: Any) -> dict[str, Any]:
        """Arguments for Api.create / job_spec on this provider (the small product by default)."""
        return {
            "product": product or self.small,
            "category": self.category,
            "provider": self.provider,
            **kwargs,
        }

    def workdir(self, server: Server, job_id: str) -> Path:
        """The host folder the job sees as /work."""
        if self.kind == "local":
            return server.workdir(job_id)
        root = self.storage_roots.get(server.data_dir)
        for found in root.glob(f"*/Jobs/*/{job_id}") if root is not None else ():
            return found
        assert self.job_root is not None
        return self.job_root / job_id / "work"

    def job_dir(self, server: Server, job_id: str) -> Path:
        """The folder of a job (its logs and rank-<r>.exit files) on the machine."""
        return (self.job_root or server.data_dir / "jobs") / job_id

    def create(self, api: Api, product: str | None = None, **kwargs: Any) -> str:
        return api.create(**self.spec(product, **kwargs))

    def close(self) -> None:
        for server in self.servers:
            server.close()


def local_config(path: Path) -> Path:
    path.write_text(
        """
[providers.example]
kind = "local"
cpus = 2
memory_gib = 16

[[providers.example.products]]
id = "example-compute"
category = "example-compute"
cpu = 1
memory_gib = 1

[[providers.example.products]]
id = "example-node"
category = "example-compute"
cpu = 2
memory_gib = 2
"""
    )
    return path


def slurm_config(path: Path, cluster: Cluster, job_root: Path, extra: str = "") -> Path:
    path.write_text(
        f"""
[providers.hpc]
kind = "slurm"
slurm_conf = "{cluster.conf}"
partition = "debug"
job_root = "{job_root}"
{extra}

[[providers.hpc.products]]
id = "hpc-small"
category = "hpc"
cpu = 1
memory_gib = 1

[[providers.hpc.products]]
id = "hpc-node"
category = "hpc"
cpu = {VCPUS}
memory_gib = 2
"""
    )
    return path


def make_target(kind: str, base: Path, cluster: Cluster | None, extra: str = "") -> Target:
    base.mkdir(parents=True, exist_ok=True)
    if kind == "local":
        config = local_config(base / "orchid.toml")
        return Target(
            kind, "example", "example-compute", "example-compute", "example-node", 1, config
        )
    assert cluster is not None
    job_root = cluster.job_root(base.name)
    config = slurm_config(base / "orchid.toml", cluster, job_root, extra)
    return Target(kind, "hpc", "hpc", "hpc-small", "hpc-node", 2, config, cluster, job_root)


@pytest.fixture(scope="session")
def slurm_cluster() -> Iterator[Cluster]:
    with shared_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def cluster_for(request: pytest.FixtureRequest) -> Any:
    """cluster_for(kind): the test cluster for "slurm" (started on first use), None for "local"."""

    def get(kind: str) -> Cluster | None:
        if kind != "slurm":
            return None
        cluster: Cluster = request.getfixturevalue("slurm_cluster")
        return cluster

    return get


@pytest.fixture(scope="module", params=KINDS)
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, cluster_for: Any
) -> Iterator[Target]:
    """One server per provider kind, shared by a test module."""
    kind = str(request.param)
    base = tmp_path_factory.mktemp(f"contract-{kind}")
    made = make_target(kind, base, cluster_for(kind))
    made.server(base / "data")
    try:
        yield made
    finally:
        made.close()


@pytest.fixture(scope="module")
def api(target: Target) -> Api:
    return target.servers[0].user("contract")
