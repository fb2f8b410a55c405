"""Shared fixtures: a real `orchid serve` per test module, and PostgreSQL when it is available.

A test whose service is missing may skip on a laptop but fails in CI (CI=true).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import IN_CI, Server

PG_ADMIN_URL = os.environ.get("ORCHID_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _postgres_or_skip() -> str:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            name = f"orchid_test_{uuid.uuid4().hex[:12]}"
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    return name


def _drop(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'orchid.db'}"
        return
    name = _postgres_or_skip()
    try:
        yield (
            PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
            + "/"
            + name
        )
    finally:
        _drop(name)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A running `orchid serve` (local provider) on each database, shared by a test module."""
    env: dict[str, str] = {}
    pg_name = None
    if request.param == "postgresql":
        pg_name = _postgres_or_skip()
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        env["ORCHID_DATABASE_URL"] = f"{base}/{pg_name}"
    srv = Server(tmp_path_factory.mktemp(f"orchid-{request.param}"), env=env).start()
    try:
        yield srv
    finally:
        srv.close()
        if pg_name is not None:
            _drop(pg_name)
