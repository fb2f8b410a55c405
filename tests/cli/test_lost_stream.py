"""A follow that loses its server says so and fails: it never reports a finished job."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.cli.clitools import cli_for, read_until
from tests.client.servers import running_server


def test_following_when_the_server_dies_is_an_error_not_an_ending(tmp_path: Path) -> None:
    with running_server(tmp_path / "orchid") as server:
        cli, api = cli_for(server, "stranded", tmp_path / "config")
        # The job ends by itself soon: Orchid does not stop jobs when it stops
        job_id = api.create(app="sleep", parameters={"seconds": {"type": "integer", "value": 3}})
        process = cli.popen("jobs", "follow", job_id)
        assert process.stderr is not None
        seen = read_until(process.stderr.fileno(), "RUNNING")
        server.stop(signal.SIGKILL)
        out, err = process.communicate(timeout=20)
    text = seen + err.decode()
    assert process.returncode == 1, text
    last = text.strip().splitlines()[-1]
    assert last.startswith(f"error: lost the follow stream of job {job_id} before it ended")
    assert last.endswith(f"follow it again with `orchid jobs follow {job_id}`")
    assert "ended SUCCESS" not in text and "Traceback" not in text and out == b""
