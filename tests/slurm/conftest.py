"""Fixtures of the Slurm provider's own tests: the session's test cluster."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.slurm.cluster import Cluster, shared_cluster


@pytest.fixture(scope="session")
def slurm_cluster() -> Iterator[Cluster]:
    with shared_cluster() as cluster:
        yield cluster
