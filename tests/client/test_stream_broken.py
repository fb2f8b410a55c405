"""A dropped connection never looks like a finished job."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from orchid.client import Client, StreamBroken
from tests.client.servers import running_server


def test_a_server_that_dies_mid_stream_breaks_the_follow(tmp_path: Path) -> None:
    with running_server(tmp_path / "orchid") as server:
        api = server.user("dropped")
        # The job ends by itself soon: Orchid does not stop jobs when it stops
        job_id = api.create(app="sleep", parameters={"seconds": {"type": "integer", "value": 3}})
        with Client(server.url, api.token) as client:
            stream = client.follow(job_id)
            first = next(stream)
            assert first.initial_job is not None
            server.stop(signal.SIGKILL)
            with pytest.raises(StreamBroken, match=f"job {job_id}"):
                for _ in stream:
                    pass
            assert stream.state is not None and not stream.state.is_final
