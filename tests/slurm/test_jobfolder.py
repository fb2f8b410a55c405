"""The job folder: the user's argv and environment reach the command exactly, through files read
by constant scripts (run here with bash, as srun would run them on a node)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchid.domain.sandbox import UnixIdentity
from orchid.providers.slurm import jobfolder
from tests.identity.unix import need_root
from tests.support import wait_until


def run_rank(job_dir: Path, rank: int) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "SLURM_PROCID": str(rank)}
    return subprocess.run(
        ["/bin/bash", str(job_dir / jobfolder.RANK_SCRIPT_NAME)],
        cwd=job_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=10,
    )


def test_argv_and_environment_arrive_verbatim(tmp_path: Path) -> None:
    # Given a command and environment full of shell syntax
    tricky = "$(touch pwned); `id` 'quoted' \"double\" \\ ; | & \n second line * ?"
    argv = ["bash", "-c", 'printf "%s|" "$0" "$1" "$VALUE" "$ORCHID_RANK" "$ORCHID_JOB_ID"', tricky]
    env = jobfolder.job_env({"VALUE": tricky}, "42", 2)
    # When the folder is written and rank 1 runs
    jobfolder.write(tmp_path, argv, env)
    result = run_rank(tmp_path, 1)
    # Then the command saw every byte as data, nothing was executed
    assert result.stdout == f"{tricky}||{tricky}|1|42|"
    assert not (tmp_path / "pwned").exists()
    assert jobfolder.read_exit_code(tmp_path, 1) == 0


def test_python3_is_orchids_interpreter(tmp_path: Path) -> None:
    jobfolder.write(
        tmp_path,
        ["python3", "-c", "import sys; print(sys.executable)"],
        jobfolder.job_env({}, "1", 1),
    )
    out = run_rank(tmp_path, 0).stdout.strip()
    assert Path(out).parent == Path(sys.executable).parent


def test_the_exit_code_of_each_rank_is_recorded(tmp_path: Path) -> None:
    jobfolder.write(
        tmp_path, ["bash", "-c", "exit $((ORCHID_RANK + 3))"], jobfolder.job_env({}, "1", 2)
    )
    assert run_rank(tmp_path, 0).returncode == 3
    assert run_rank(tmp_path, 1).returncode == 4
    assert [jobfolder.read_exit_code(tmp_path, r) for r in (0, 1, 2)] == [3, 4, None]


def test_the_wrapper_outlives_sigterm_to_record_the_commands_status(tmp_path: Path) -> None:
    # Given a rank running a command that sleeps
    jobfolder.write(tmp_path, ["sleep", "30"], jobfolder.job_env({}, "1", 1))
    proc = subprocess.Popen(
        ["/bin/bash", str(tmp_path / jobfolder.RANK_SCRIPT_NAME)],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "SLURM_PROCID": "0"},
        start_new_session=True,
    )
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    wait_until(lambda: children.read_text().strip(), "the wrapper to start the command", 5)
    # When every process of the job gets SIGTERM, as scancel does
    os.killpg(proc.pid, signal.SIGTERM)
    # Then the wrapper records 143 (the command's death by SIGTERM) and exits with it
    assert proc.wait(timeout=5) == 143
    assert jobfolder.read_exit_code(tmp_path, 0) == 143


def test_environment_names_that_cannot_be_passed() -> None:
    assert jobfolder.check_env_names({"GOOD_1": "x"}) is None
    assert jobfolder.check_env_names({"1BAD": "x"}) is not None
    assert jobfolder.check_env_names({"A=B": "x"}) is not None
    assert jobfolder.check_env_names({"__orchid_argv": "x"}) is not None
    assert jobfolder.check_env_names({"NUL": "a\0b"}) is not None


def test_the_scripts_are_constants_without_user_text(tmp_path: Path) -> None:
    jobfolder.write(tmp_path, ["echo", "SECRET-ARG"], {"SECRET_ENV": "SECRET-VALUE"})
    for name in (jobfolder.BATCH_SCRIPT_NAME, jobfolder.RANK_SCRIPT_NAME):
        assert "SECRET" not in (tmp_path / name).read_text()
    assert (tmp_path / jobfolder.BATCH_SCRIPT_NAME).read_text() == jobfolder.BATCH_SCRIPT


def test_links_and_fifos_the_job_plants_in_its_folder_are_never_followed(tmp_path: Path) -> None:
    # Given a job folder that belongs to the job's account, which planted links to a file of
    # Orchid's (a secret) under the names Orchid writes and reads, and a FIFO for an exit code
    job_dir = tmp_path / "job"
    jobfolder.write(job_dir, ["true"], {})
    secret = tmp_path / "secret"
    secret.write_text("42\n")
    (job_dir / (jobfolder.SLURM_ID_FILE + ".tmp")).symlink_to(secret)
    (job_dir / "rank-0.exit").symlink_to(secret)
    os.mkfifo(job_dir / "rank-1.exit")

    # When Orchid records the Slurm id and reads the exit codes
    jobfolder.record_slurm_id(job_dir, "7")

    # Then the secret is untouched and unread, and nothing blocks
    assert secret.read_text() == "42\n"
    assert jobfolder.recorded_slurm_id(job_dir) == "7"
    assert jobfolder.read_exit_code(job_dir, 0) is None
    assert jobfolder.read_exit_code(job_dir, 1) is None


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A folder other accounts can enter (the pytest temporary directory is 0700 root)."""
    path = Path(tempfile.mkdtemp(prefix="orchid-jobfolder-"))
    path.chmod(0o711)
    try:
        yield path
    finally:
        shutil.rmtree(path)


def test_a_folder_for_another_account_belongs_to_it_mode_0700(open_dir: Path) -> None:
    need_root()  # only root can give a folder away
    tmp_path = open_dir
    owner = UnixIdentity("someone", 4242, 4243)
    jobfolder.prepare(tmp_path / "job", ["true"], {"A": "b"}, owner)
    for path in (tmp_path / "job", tmp_path / "job" / "argv", tmp_path / "job" / "env"):
        st = os.stat(path)
        assert (st.st_uid, st.st_gid) == (4242, 4243), path
    assert os.stat(tmp_path / "job").st_mode & 0o777 == 0o700


def test_a_job_root_the_account_cannot_enter_is_refused_with_the_reason(open_dir: Path) -> None:
    need_root()
    tmp_path = open_dir
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    owner = UnixIdentity("someone", 4242, 4243)
    with pytest.raises(ValueError, match=r"'someone' cannot enter .*closed \(mode 700\)"):
        jobfolder.write(closed / "jobs" / "1", ["true"], {}, owner)
    assert not (closed / "jobs").exists()
    closed.chmod(0o711)
    jobfolder.write(closed / "jobs" / "1", ["true"], {}, owner)
