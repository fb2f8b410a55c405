"""A full disk gives clear errors and corrupts nothing (issue 12).

The disks are real: small tmpfs mounts made by the test (it runs as root in CI; elsewhere, where
mounting is impossible, it skips), filled with a file until writing fails with ENOSPC.

- The database's disk full: every call that would write answers 507 DISK_FULL and changes nothing;
  reads go on; what a provider reports meanwhile (a job that ended) is recorded once there is room
  again; the database is intact.
- The job folders' disk full: a job whose files cannot be written fails with the reason, and gives
  its capacity back.
"""

from __future__ import annotations

import errno
import os
import signal
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.api.test_bad_input import assert_error, job_count
from tests.support import IN_CI, Server, job_spec


@contextmanager
def small_filesystem(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `path` for the duration."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        reason = f"cannot mount a small filesystem here: {done.stderr.strip()}"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield path
    finally:
        subprocess.run(["umount", "--lazy", str(path)], check=False)


def fill(folder: Path) -> Path:
    """Write a file in `folder` until its filesystem has no room left; returns the file."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    block = b"\0" * 65536
    try:
        while True:
            os.write(fd, block)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC, exc
    try:  # the last partial page
        while True:
            os.write(fd, b"\0" * 512)
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


def bash_running(marker: str) -> list[int]:
    """The bash processes whose command line holds `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if argv[0].endswith(b"bash") and any(marker.encode() in a for a in argv):
                found.append(int(entry.name))
    return found


def test_a_full_database_disk_answers_507_and_corrupts_nothing(tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "db", "16m") as db_dir:
        database = db_dir / "orchid.db"
        server = Server(
            tmp_path / "data", env={"ORCHID_DATABASE_URL": f"sqlite:///{database}"}
        ).start()
        try:
            # Given a running job, and then a full disk under the database
            alice = server.user("alice")
            marker = f"marker-{uuid.uuid4().hex}"
            running = alice.create(script=f"sleep 600; echo {marker}")
            alice.wait_for(running, "RUNNING")
            before = job_count(alice)
            filler = fill(db_dir)

            # When Alice creates a job, it is refused with 507 and the reason, and nothing is
            # stored
            refused = assert_error(
                alice.http.post("/api/jobs", json={"items": [job_spec(script="true")]}),
                507,
                "DISK_FULL",
            )
            assert "disk is full" in refused["why"]
            assert job_count(alice) == before
            # and terminating her job is refused the same way, leaving it running
            assert_error(
                alice.http.post("/api/jobs/terminate", json={"items": [{"id": running}]}),
                507,
                "DISK_FULL",
            )
            assert alice.retrieve(running)["status"]["state"] == "RUNNING"

            # When the job's process ends while nothing can be recorded
            (pid,) = bash_running(marker)
            os.kill(pid, signal.SIGKILL)
            # and room is made again
            filler.unlink()

            # Then the end is recorded after all, and new jobs are accepted again
            ended = alice.wait_for(running, "SUCCESS", timeout=30)
            assert ended["updates"][-1]["status"] == "Your job has completed (exit code 137)"
            done = alice.create(script="echo after")
            alice.wait_for(done, "SUCCESS")
        finally:
            server.close()
        # and the database is intact.
        with sqlite3.connect(database) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_job_whose_folder_cannot_be_written_fails_with_the_reason(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with small_filesystem(data / "jobs", "1m") as jobs_dir:
        server = Server(data, env={"ORCHID_LOCAL_CPUS": "1"}).start()
        try:
            # Given a full disk under the job folders
            alice = server.user("alice")
            filler = fill(jobs_dir)

            # When Alice creates a job, it fails and says why
            failed = alice.wait_for(alice.create(script="echo hello"), "FAILURE")
            assert "No space left on device" in failed["updates"][-1]["status"]

            # Then, once there is room again, the next job runs on the CPU it gave back
            filler.unlink()
            done = alice.create(script="echo hello")
            alice.wait_for(done, "SUCCESS")
        finally:
            server.close()
