"""One real `orchid serve` for the command-line tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.client.servers import running_server
from tests.support import Server


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Overrides the top-level fixture: SQLite only (the CLI does not care about the database)."""
    with running_server(tmp_path_factory.mktemp("cli")) as srv:
        yield srv
