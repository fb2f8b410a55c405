"""Restarting `orchid serve` mid-job (kill -9) loses no job, on every provider."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from tests.contract.conftest import KINDS, make_target
from tests.support import logs_of, wait_until


@pytest.mark.parametrize("kind", KINDS)
def test_jobs_survive_orchid_being_killed(kind: str, tmp_path: Path, cluster_for: Any) -> None:
    target = make_target(kind, tmp_path / kind, cluster_for(kind))
    server = target.server(tmp_path / kind / "data")
    api = server.user("dave")
    # Given a job that keeps running, and one that will end with code 7 while Orchid is down
    long_running = target.create(api, script="echo before; sleep 60", hours=1)
    ends_while_down = target.create(
        api, script="while [ ! -e release ]; do sleep 0.05; done; exit 7"
    )
    for job_id in (long_running, ends_while_down):
        api.wait_for(job_id, "RUNNING")
    before = api.retrieve(long_running)

    # When Orchid is killed, the second job ends meanwhile, and Orchid starts again
    server.stop(signal.SIGKILL)
    (target.workdir(server, ends_while_down) / "release").touch()  # it sees only its /work
    exit_file = target.job_dir(server, ends_while_down) / "rank-0.exit"
    wait_until(exit_file.exists, f"job {ends_while_down} to end while Orchid is down")
    server.start()

    # Then the job that ended unobserved has its true outcome
    ended = api.wait_for(ends_while_down, "SUCCESS", "FAILURE")
    assert ended["updates"][-1]["status"] == "Your job has completed (exit code 7)"
    # ... and the running one is still running, with its deadline and history intact
    after = api.retrieve(long_running)
    assert after["status"]["state"] == "RUNNING"
    assert after["status"]["expiresAt"] == before["status"]["expiresAt"]
    assert after["updates"] == before["updates"]
    # ... it can be extended, followed (with what it printed before) and terminated
    extend = {
        "items": [
            {"jobId": long_running, "requestedTime": {"hours": 1, "minutes": 0, "seconds": 0}}
        ]
    }
    assert api.http.post("/api/jobs/extend", json=extend).status_code == 200
    stream = api.follow(long_running)
    first = next(stream)
    api.http.post("/api/jobs/terminate", json={"items": [{"id": long_running}]})
    frames = [first, *stream]
    assert logs_of(frames)[0] == "before\n"
    assert frames[-2]["payload"]["newStatus"]["state"] == "SUCCESS"
    target.close()
