"""Fixtures of the Slurm provider's own tests: the session's test cluster."""

from __future__ import annotations

import os
import pwd
from collections.abc import Iterator

import pytest

from orchid.domain.sandbox import UnixIdentity
from tests.identity.unix import throwaway_account
from tests.slurm.cluster import Cluster, shared_cluster


@pytest.fixture(scope="session")
def slurm_cluster() -> Iterator[Cluster]:
    with shared_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def slurm_account() -> Iterator[UnixIdentity | None]:
    """The account the provider's tests submit jobs as: a throw-away one when the tests run as
    root (Orchid never runs a job as root), else None (the provider submits as itself)."""
    if os.geteuid() != 0:
        yield None
        return
    with throwaway_account() as name:
        entry = pwd.getpwnam(name)
        yield UnixIdentity(name, entry.pw_uid, entry.pw_gid)
