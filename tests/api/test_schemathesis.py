"""Schemathesis against a real server: every operation of /openapi.json, every check, a fixed
seed and a bounded number of examples. Any server error, undocumented status or content type, or
disagreement between the schema and the server fails the suite.

Two settings say what the schema cannot: generated strings are valid UTF-8 (a JSON string with a
lone surrogate is refused with 400 INVALID_TEXT, see api/strict.py), and schema-valid data may be
refused with 400 only for a rule the schema cannot state, named by its errorCode
(schemathesis_hooks.BUSINESS_RULES; the OpenAPI description of 400 lists them).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import Api, Server

ROOT = Path(__file__).parent.parent.parent
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CONFIG = """
[checks.positive_data_acceptance]
# 400 is judged by the custom check `refusals_name_a_rule` (schemathesis_hooks.py)
expected-statuses = ["2xx", "400", "401", "403", "404", "409", "413", "429"]
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # One CPU: the jobs that generated requests create mostly wait in the queue.
    srv = Server(tmp_path_factory.mktemp("orchid-st"), env={"ORCHID_LOCAL_CPUS": "1"}).start()
    try:
        yield srv
    finally:
        srv.close()


@pytest.mark.timeout(600)
def test_the_server_agrees_with_its_openapi_description(server: Server, tmp_path: Path) -> None:
    api: Api = server.user("fuzzer")
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(config),
            "run",
            f"{server.url}/openapi.json",
            "--header",
            f"Authorization: Bearer {api.token}",
            "--checks",
            "all",
            "--max-examples",
            "25",
            "--seed",
            "20261201",
            "--workers",
            "1",
            "--generation-codec",
            "utf-8",
            "--no-color",
            "--request-timeout",
            "20",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks",
        },
        timeout=540,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-20_000:]
    assert "Traceback" not in server.log_path.read_text()
