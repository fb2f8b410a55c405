"""Fixtures of the identity tests: the session's Slurm test cluster (started on first use)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.slurm.cluster import Cluster, shared_cluster


@pytest.fixture(scope="session")
def slurm_cluster() -> Iterator[Cluster]:
    with shared_cluster() as cluster:
        yield cluster
