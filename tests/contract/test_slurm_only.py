"""What only a scheduler can do to a job: refuse an extension, forget it, cancel it behind
Orchid's back, or stop answering for a while."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.contract.conftest import Target, make_target
from tests.slurm.cluster import Cluster
from tests.support import Api

UNREACHABLE = "The scheduler is unreachable: "
REACHABLE = "The scheduler is reachable again"


def statuses(job: dict[str, Any]) -> list[str]:
    return [u["status"] for u in job["updates"]]


def wait_for_status(api: Api, job_id: str, prefix: str, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = api.retrieve(job_id)
        if any(s.startswith(prefix) for s in statuses(job)):
            return job
        assert time.monotonic() < deadline, statuses(job)
        time.sleep(0.05)


def extend(api: Api, job_id: str, hours: int = 1) -> Any:
    body = {
        "items": [{"jobId": job_id, "requestedTime": {"hours": hours, "minutes": 0, "seconds": 0}}]
    }
    return api.http.post("/api/jobs/extend", json=body)


@pytest.fixture
def hpc(tmp_path: Path, slurm_cluster: Cluster) -> Iterator[Target]:
    target = make_target("slurm", tmp_path, slurm_cluster)
    target.server(tmp_path / "data")
    yield target
    target.close()


def test_an_extension_slurm_refuses_is_rolled_back(tmp_path: Path, slurm_cluster: Cluster) -> None:
    # Given Orchid calling scontrol as a user who is not a Slurm operator (bin_dir points at
    # wrappers: scontrol runs as `nobody`, the rest as they are)
    # (where the account jobs are submitted as can run them, unlike the 0700 pytest directory)
    bin_dir = slurm_cluster.job_root("bin")
    for name in ("sbatch", "squeue", "scancel", "sacct", "sinfo", "scontrol"):
        prefix = (
            "setpriv --reuid=nobody --regid=nogroup --clear-groups " if name == "scontrol" else ""
        )
        (bin_dir / name).write_text(f'#!/bin/sh\nexec {prefix}/usr/bin/{name} "$@"\n')
        (bin_dir / name).chmod(0o755)
    target = make_target("slurm", tmp_path / "hpc", slurm_cluster, f'bin_dir = "{bin_dir}"')
    api = target.server(tmp_path / "data").user("erin")
    job_id = target.create(api, script="sleep 60", hours=1)
    before = api.wait_for(job_id, "RUNNING")

    # When the user asks for one more hour
    refused = extend(api, job_id)

    # Then Slurm's refusal is the answer, and the deadline Orchid had persisted is rolled back
    assert refused.status_code == 502
    assert refused.json()["errorCode"] == "EXTENSION_REFUSED"
    assert "Slurm refused the new time limit" in refused.json()["why"]
    after = api.retrieve(job_id)
    assert after["status"]["expiresAt"] == before["status"]["expiresAt"]
    assert after["updates"] == before["updates"]
    api.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})
    api.wait_for(job_id, "SUCCESS")
    target.close()


def test_a_job_an_administrator_cancels_is_cancelled(hpc: Target, slurm_cluster: Cluster) -> None:
    api = hpc.servers[0].user("frank")
    job_id = hpc.create(api, script="sleep 60")
    job = api.wait_for(job_id, "RUNNING")
    subprocess.run(["scancel", job["providerGeneratedId"]], env=slurm_cluster.env, check=True)
    done = api.wait_for(job_id, "SUCCESS", "FAILURE")
    assert done["updates"][-1]["status"] == "Your job has been cancelled!"


def test_slurmctld_stopped_and_started_mid_job(hpc: Target, slurm_cluster: Cluster) -> None:
    api = hpc.servers[0].user("grace")
    # Given two running jobs
    running = hpc.create(api, script="echo started; sleep 60", hours=1)
    stopping = hpc.create(api, script="sleep 60")
    for job_id in (running, stopping):
        api.wait_for(job_id, "RUNNING")
    before = api.retrieve(running)

    # When slurmctld stops
    slurm_cluster.stop_controller()
    try:
        # Then the jobs keep their state and say why nothing moves
        job = wait_for_status(api, running, UNREACHABLE)
        assert job["status"]["state"] == "RUNNING"
        assert sum(s.startswith(UNREACHABLE) for s in statuses(job)) == 1
        # ... calls that need Slurm answer 503, and change nothing
        refused = extend(api, running)
        assert refused.status_code == 503
        assert refused.json()["errorCode"] == "PROVIDER_UNAVAILABLE"
        assert api.retrieve(running)["status"]["expiresAt"] == before["status"]["expiresAt"]
        terminate = api.http.post("/api/jobs/terminate", json={"items": [{"id": stopping}]})
        assert terminate.status_code == 503
        # ... and a new job is accepted into the queue, to be submitted when Slurm is back
        waiting = hpc.create(api, script="echo submitted later")
        job = wait_for_status(api, waiting, UNREACHABLE)
        assert job["status"]["state"] == "IN_QUEUE"
    finally:
        # When slurmctld is back
        slurm_cluster.start_controller()

    # Then everything carries on: the running job says so and still runs ...
    job = wait_for_status(api, running, REACHABLE)
    assert job["status"]["state"] == "RUNNING"
    assert extend(api, running).status_code == 200
    # ... the job whose terminate was refused is cancelled after all ...
    cancelled = api.wait_for(stopping, "SUCCESS", "FAILURE")
    assert cancelled["updates"][-1]["status"] == "Your job has been cancelled!"
    # ... and the job created meanwhile runs
    done = api.wait_for(waiting, "SUCCESS", "FAILURE")
    assert done["updates"][-1]["status"] == "Your job has completed (exit code 0)"
    api.http.post("/api/jobs/terminate", json={"items": [{"id": running}]})
    assert (
        api.wait_for(running, "SUCCESS")["updates"][-1]["status"] == "Your job has been cancelled!"
    )
