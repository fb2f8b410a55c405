"""Restarting `orchid serve`, gracefully or with kill -9, loses no job."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.support import Server, logs_of, process_group_gone, wait_until


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "kill-9"])
def test_jobs_survive_a_restart_of_the_service(tmp_path: Path, sig: int) -> None:
    server = Server(tmp_path / "orchid", env={"ORCHID_LOCAL_CPUS": "4"}).start()
    api = server.user("dave")
    # Given a job that keeps running, one that will end while Orchid is down, and one waiting
    # for a file before it exits with code 7
    long_running = api.create(script="echo before; sleep 60; echo never", hours=1)
    ends_while_down = api.create(script="while [ ! -e release ]; do sleep 0.05; done; exit 7")
    for job_id in (long_running, ends_while_down):
        api.wait_for(job_id, "RUNNING")
    before = api.retrieve(long_running)

    # When the service stops abruptly (or politely) and the second job ends meanwhile
    server.stop(sig)
    (server.workdir(ends_while_down) / "release").touch()  # the job sees only its /work
    exit_file = server.data_dir / "jobs" / ends_while_down / "rank-0.exit"
    wait_until(exit_file.exists, f"job {ends_while_down} to end while Orchid is down")
    server.start()

    # Then the job that ended while nobody watched has its true final state
    ended = api.wait_for(ends_while_down, "SUCCESS", "FAILURE")
    assert ended["status"]["state"] == "SUCCESS"
    assert ended["updates"][-1]["status"] == "Your job has completed (exit code 7)"

    # ... and the running job is still running, with its deadline and history intact
    after = api.retrieve(long_running)
    assert after["status"]["state"] == "RUNNING"
    assert after["status"]["expiresAt"] == before["status"]["expiresAt"]
    assert after["updates"] == before["updates"]

    # ... it can be extended ...
    extend = {
        "items": [
            {"jobId": long_running, "requestedTime": {"hours": 1, "minutes": 0, "seconds": 0}}
        ]
    }
    assert api.http.post("/api/jobs/extend", json=extend).status_code == 200
    assert (
        api.retrieve(long_running)["status"]["expiresAt"]
        == before["status"]["expiresAt"] + 3_600_000
    )

    # ... followed (with the log written before the restart) and terminated
    stream = api.follow(long_running)
    first = next(stream)
    assert first["payload"]["initialJob"]["status"]["state"] == "RUNNING"
    api.http.post("/api/jobs/terminate", json={"items": [{"id": long_running}]})
    frames = [first, *stream]
    assert logs_of(frames)[0] == "before\n"
    assert frames[-2]["payload"]["newStatus"]["state"] == "SUCCESS"
    assert api.retrieve(long_running)["updates"][-1]["status"] == "Your job has been cancelled!"
    server.close()


def test_a_job_killed_while_orchid_was_down_is_a_failure_not_a_success(tmp_path: Path) -> None:
    server = Server(tmp_path / "orchid").start()
    api = server.user("erin")
    job_id = api.create(script="sleep 60")
    job = api.wait_for(job_id, "RUNNING")
    server.stop(signal.SIGKILL)
    # Someone kills the whole process group, wrapper included, so no exit status is recorded
    import json
    import os

    handle = json.loads((server.data_dir / "jobs" / job_id / "handle.json").read_text())
    for pid in handle["pids"]:
        os.killpg(pid, signal.SIGKILL)
    for pid in handle["pids"]:
        wait_until(lambda pid=pid: process_group_gone(pid), f"process group {pid} to die")
    server.start()
    ended = api.wait_for(job_id, "SUCCESS", "FAILURE")
    assert ended["status"]["state"] == "FAILURE"
    assert "exit status" in ended["updates"][-1]["status"]
    assert ended["updates"][:2] == job["updates"]
    server.close()
