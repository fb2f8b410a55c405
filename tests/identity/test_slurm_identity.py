"""On Slurm, a job is submitted as its user's account (decision 10): Slurm shows that user, the job
runs as it, its folder belongs to it, and Orchid (root) still extends and cancels it."""

from __future__ import annotations

import os
import pwd
import subprocess
import time
import tomllib
from pathlib import Path

from orchid.providers.slurm import SlurmOptions, commands
from tests.contract.conftest import make_target
from tests.contract.test_slurm_only import extend
from tests.identity.unix import need_root, throwaway_account
from tests.slurm.cluster import Cluster
from tests.support import ORCHID, Api


def wait_for_file(path: Path, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.read_text().count("\n") >= 2):
        assert time.monotonic() < deadline, f"{path} not written"
        time.sleep(0.05)
    return path.read_text()


def test_a_slurm_job_runs_as_the_users_account_and_root_still_extends_and_cancels_it(
    tmp_path: Path, slurm_cluster: Cluster
) -> None:
    need_root()
    target = make_target("slurm", tmp_path / "hpc", slurm_cluster)
    server = target.server(tmp_path / "data")
    try:
        with throwaway_account() as account:
            api: Api = server.user("hana")
            mapped = subprocess.run(
                [*ORCHID, "users", "map", "hana", account, "--data-dir", str(server.data_dir)],
                capture_output=True,
                text=True,
            )
            assert mapped.returncode == 0, mapped.stderr
            uid = pwd.getpwnam(account).pw_uid

            # Given a job of hana's that prints who it is, then waits
            job_id = target.create(api, script="id -un; id -u; sleep 120", hours=1)
            api.wait_for(job_id, "RUNNING", timeout=60)

            # Then Slurm shows hana's account as the job's user, and the job runs as it
            job_root = tomllib.loads(target.config.read_text())["providers"]["hpc"]["job_root"]
            comment = commands.job_comment(SlurmOptions(job_root=Path(job_root)).tag, job_id)
            assert slurm_row(slurm_cluster, comment)[1] == account
            folder = Path(job_root) / job_id
            assert wait_for_file(folder / "rank-0.stdout") == f"{account}\n{uid}\n"
            st = os.stat(folder)
            assert st.st_uid == uid and st.st_mode & 0o077 == 0

            # When Orchid (root) extends it, Slurm takes the new limit; when hana terminates it,
            # scancel (root) ends it
            assert slurm_row(slurm_cluster, comment)[2] == "1:01:00"
            assert extend(api, job_id).status_code == 200
            assert slurm_row(slurm_cluster, comment)[2] == "2:01:00"
            r = api.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})
            assert r.status_code == 200, r.text
            ended = api.wait_for(job_id, "SUCCESS", timeout=60)
            assert ended["status"]["state"] == "SUCCESS"
            assert slurm_row(slurm_cluster, comment)[3] == "CANCELLED"
    finally:
        target.close()


def slurm_row(cluster: Cluster, comment: str) -> list[str]:
    """Slurm's id, user, time limit and state of the job with this comment (an Orchid job's)."""
    rows = [r.split() for r in cluster.squeue("--format=%i %u %l %T %k").splitlines()]
    ours = [r[:4] for r in rows if r[4] == comment]
    assert len(ours) == 1, rows
    return ours[0]
