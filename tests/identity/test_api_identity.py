"""Through a real `orchid serve` running as root: files belong to the user's account, mode 0700 or
0600, and a user whose account is unusable gets a clear 403 at job create, never a job."""

from __future__ import annotations

import os
import pwd
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchid.identity.names import account_name
from orchid.providers.base import LogFile
from orchid.service.logs import LogTail
from tests.api.files_support import assert_error, home, mkdir, upload
from tests.identity.unix import need_root, orchid_accounts_of, throwaway_account, unique
from tests.support import ORCHID, Server, job_spec, logs_of


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    need_root()
    srv = Server(tmp_path_factory.mktemp("identity")).start(timeout=60)
    try:
        yield srv
    finally:
        srv.close()


def test_uploaded_files_and_folders_belong_to_the_users_own_account(server: Server) -> None:
    user = unique("up")
    with orchid_accounts_of(user):
        api = server.user(user)
        drive = home(api)  # first drive use: the account is created now
        account = pwd.getpwnam(account_name(user))

        assert mkdir(api, f"/{drive}/data").status_code == 200
        assert upload(api, f"/{drive}/data/x.txt", b"hello").status_code == 200

        root = server.data_dir / "files" / drive
        for path, mode in ((root, 0o700), (root / "data", 0o700), (root / "data/x.txt", 0o600)):
            st = os.stat(path)
            assert (st.st_uid, st.st_gid) == (account.pw_uid, account.pw_gid), path
            assert stat.S_IMODE(st.st_mode) == mode, path
        assert account.pw_uid != 0


def test_a_user_mapped_to_an_account_that_is_gone_gets_403_at_job_create(server: Server) -> None:
    with throwaway_account() as account:
        api = server.user("gone")
        done = _orchid("users", "map", "gone", account, "--data-dir", str(server.data_dir))
        assert done.returncode == 0, done.stderr
    # The account was removed after the mapping: no job may start, and none is stored.
    r = api.http.post("/api/jobs", json={"items": [job_spec(script="id -u")]})
    assert_error(r, 403, "UNIX_ACCOUNT_UNAVAILABLE")
    assert "no Unix account named" in r.json()["why"]
    assert api.http.get("/api/jobs/browse").json()["items"] == []


def _orchid(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ORCHID, *args], capture_output=True, text=True, timeout=60)


def test_logs_are_never_read_through_a_link_or_a_fifo(tmp_path: Path) -> None:
    # A job's folder may belong to the job's account (Slurm): Orchid (root) reading its logs must
    # not follow a link it planted to a file only root may read, nor hang on a FIFO.
    secret = tmp_path / "secret"
    secret.write_text("root only\n")
    (tmp_path / "rank-0.stdout").symlink_to(secret)
    os.mkfifo(tmp_path / "rank-0.stderr")
    assert LogTail(LogFile(0, "stdout", tmp_path / "rank-0.stdout")).read() == ""
    assert LogTail(LogFile(0, "stderr", tmp_path / "rank-0.stderr")).read() == ""


def test_a_job_runs_as_the_orchid_account_made_for_its_user_never_as_root(server: Server) -> None:
    user = unique("job")
    with orchid_accounts_of(user):
        api = server.user(user)
        # Given a user without a mapping, whose first job prints who it runs as
        job_id = api.create(script="id -u; id -un")
        frames = list(api.follow(job_id))

        # Then it ran as orchid-<name>, made for it on first use, and not as root
        account = pwd.getpwnam(account_name(user))
        assert logs_of(frames)[0] == f"{account.pw_uid}\n{account.pw_name}\n"
        assert account.pw_uid != 0
        states = [f["payload"]["newStatus"] for f in frames[:-1] if f["payload"].get("newStatus")]
        assert states[-1]["state"] == "SUCCESS"
