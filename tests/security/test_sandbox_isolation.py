"""What a sandboxed job of one user cannot do to another user's job, to Orchid or to the machine,
and what it still can: real bubblewrap, real processes, two throw-away accounts (useradd).

The provider runs as the server would (this test process plays the server: its pid, environment
and data directory are what the job must not reach). The attacking job tries each thing and
prints `refused <name>` or `LEAK <name>`; every refusal is asserted one by one.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from orchid.providers.base import Exited, Failed, JobRun, Mount, Started, UnixIdentity
from tests.facts import Facts, run
from tests.identity.unix import throwaway_account
from tests.providers.test_local import SMALL, WAIT_FOR_DONE, jobs_dir, local

__all__ = ["jobs_dir"]

ATTACK = r"""
try() { name=$1; shift; if "$@" >/dev/null 2>&1; then echo "LEAK $name"; else echo "refused $name"; fi; }
try read-other-jobs-output cat "$VICTIM_DIR/rank-0.stdout"
try read-other-jobs-work cat "$VICTIM_WORK/secret"
try list-other-jobs-work ls "$VICTIM_WORK"
try list-jobs-folder ls "$JOBS_DIR"
try list-data-dir ls "$DATA_DIR"
try open-database cat "$DATA_DIR/orchid.db"
try read-through-proc-root sh -c 'cat /proc/[0-9]*/root"$VICTIM_WORK"/secret'
try read-through-proc-cwd sh -c 'cat /proc/[0-9]*/cwd/secret | grep -q bob'
try read-host-tmp cat "$HOST_TMP_FILE"
try write-usr touch /usr/orchid-pwned
try write-etc touch /etc/orchid-pwned
try write-root touch /orchid-pwned
try write-data-dir touch "$DATA_DIR/pwned"
try see-server test -e "/proc/$SERVER_PID"
try signal-server kill -0 "$SERVER_PID"
try signal-other-job kill -0 "$VICTIM_PID"
try read-server-environ cat "/proc/$SERVER_PID/environ"
try read-sandbox-init-environ cat /proc/1/environ
try see-many-processes sh -c 'test "$(ls /proc | grep -c "^[0-9]")" -gt 10'
try be-root sh -c 'test "$(id -u)" = 0'
try have-capabilities sh -c 'grep CapEff /proc/self/status | grep -qv 0000000000000000'
try gain-privileges sh -c 'grep -q "NoNewPrivs:.0" /proc/self/status'
echo "normal work:"
echo written > /work/mine && cat /work/mine
python3 -c 'print("python", 6 * 7)'
echo in-tmp > /tmp/scratch-$HOST_TMP_NAME && cat /tmp/scratch-$HOST_TMP_NAME
sh -c 'echo child' & wait
echo "to stderr" >&2
echo "uid $(id -u)"
"""


def identity_of(name: str) -> UnixIdentity:
    entry = pwd.getpwnam(name)
    return UnixIdentity(name, entry.pw_uid, entry.pw_gid)


@pytest.fixture(scope="module")
def alice() -> Iterator[UnixIdentity]:
    with throwaway_account() as name:
        yield identity_of(name)


@pytest.fixture(scope="module")
def bob() -> Iterator[UnixIdentity]:
    with throwaway_account() as name:
        yield identity_of(name)


def a_job(job_id: str, script: str, who: UnixIdentity, **env: str) -> JobRun:
    return JobRun(job_id, ["sh", "-c", script], env, 1, SMALL, None, identity=who)


def test_a_job_cannot_reach_another_users_job_nor_orchid_but_can_work(
    jobs_dir: Path, alice: UnixIdentity, bob: UnixIdentity, tmp_path: Path
) -> None:
    # Given a data directory with a database, as Orchid keeps it (0700, the service's)
    data_dir = jobs_dir.parent
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "orchid.db").write_text("users and tokens")
    os.chmod(data_dir, 0o700)
    host_tmp = Path("/tmp") / f"orchid-host-{uuid.uuid4().hex[:8]}"
    host_tmp.write_text("host secret")
    host_tmp.chmod(0o644)

    async def story() -> None:
        facts = Facts()
        async with local(jobs_dir, facts) as provider:
            # ... and Bob's job, running, with a secret in its folder and in its output
            await provider.submit(
                a_job("bob1", f"echo bob-secret > secret; echo bob-out; {WAIT_FOR_DONE}", bob)
            )
            started = await facts.wait("bob1", Started)
            victim_work = jobs_dir / "bob1" / "work"
            async with asyncio.timeout(5):
                while not (victim_work / "secret").exists():
                    await asyncio.sleep(0.01)

            # When Alice's job tries to reach it, Orchid and the machine
            env = {
                "VICTIM_DIR": str(jobs_dir / "bob1"),
                "VICTIM_WORK": str(victim_work),
                "JOBS_DIR": str(jobs_dir),
                "DATA_DIR": str(data_dir),
                "SERVER_PID": str(os.getpid()),
                "VICTIM_PID": str(started.handle["pids"][0]),
                "HOST_TMP_FILE": str(host_tmp),
                "HOST_TMP_NAME": host_tmp.name,
            }
            await provider.submit(a_job("alice1", ATTACK, alice, **env))
            assert (await facts.wait("alice1", Exited)).exit_codes == {0: 0}
            (victim_work / "done").touch()
            assert (await facts.wait("bob1", Exited)).exit_codes == {0: 0}

    try:
        run(story())
        out = (jobs_dir / "alice1" / "rank-0.stdout").read_text().splitlines()
        err = (jobs_dir / "alice1" / "rank-0.stderr").read_text()
    finally:
        host_tmp.unlink()

    # Then every attempt was refused
    attempts = out[: out.index("normal work:")]
    assert attempts and not [line for line in attempts if not line.startswith("refused ")]
    for name in (
        "read-other-jobs-output",
        "read-other-jobs-work",
        "list-other-jobs-work",
        "list-jobs-folder",
        "list-data-dir",
        "open-database",
        "read-through-proc-root",
        "read-through-proc-cwd",
        "read-host-tmp",
        "write-usr",
        "write-etc",
        "write-root",
        "write-data-dir",
        "see-server",
        "signal-server",
        "signal-other-job",
        "read-server-environ",
        "read-sandbox-init-environ",
        "see-many-processes",
        "be-root",
        "have-capabilities",
        "gain-privileges",
    ):
        assert f"refused {name}" in attempts
    assert not Path("/usr/orchid-pwned").exists() and not Path("/etc/orchid-pwned").exists()

    # ... and the same job did its normal work, as Alice
    work = out[out.index("normal work:") + 1 :]
    assert work == ["written", "python 42", "in-tmp", "child", f"uid {alice.uid}"]
    assert err == "to stderr\n"
    mine = jobs_dir / "alice1" / "work" / "mine"
    assert mine.read_text() == "written\n" and mine.stat().st_uid == alice.uid
    assert not (Path("/tmp") / f"scratch-{host_tmp.name}").exists()  # its /tmp was its own

    # ... and each job's folder is its owner's alone, the bookkeeping Orchid's alone
    for job_id, owner in (("alice1", alice), ("bob1", bob)):
        work_stat = (jobs_dir / job_id / "work").stat()
        assert (work_stat.st_uid, work_stat.st_mode & 0o777) == (owner.uid, 0o700)
        book = (jobs_dir / job_id).stat()
        assert (book.st_uid, book.st_mode & 0o777) == (os.getuid(), 0o700)


def test_a_job_without_an_account_never_runs_as_root(jobs_dir: Path, tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only a root Orchid must refuse jobs without an account")

    async def story() -> None:
        facts = Facts()
        async with local(jobs_dir, facts) as provider:
            # Given a job that comes without a Unix account, and one whose account is root
            marker = tmp_path / "ran"
            await provider.submit(
                JobRun("nobody1", ["touch", str(marker)], {}, 1, SMALL, None, identity=None)
            )
            root = UnixIdentity("root", 0, 0)
            await provider.submit(
                JobRun("root1", ["touch", str(marker)], {}, 1, SMALL, None, identity=root)
            )

            # Then both fail with the reason, and nothing ran
            assert "never run as root" in (await facts.wait("nobody1", Failed)).reason
            assert "never run as root" in (await facts.wait("root1", Failed)).reason
            assert not marker.exists()

    run(story())


def test_a_job_whose_sandbox_cannot_be_made_fails_and_never_runs_unsandboxed(
    jobs_dir: Path, alice: UnixIdentity, tmp_path: Path
) -> None:
    async def story() -> None:
        facts = Facts()
        async with local(jobs_dir, facts) as provider:
            # Given a job whose working folder does not exist (the sandbox cannot mount it)
            marker = tmp_path / "ran"
            job = a_job("nofolder", f"touch {marker}", alice)
            await provider.submit(replace(job, workdir=tmp_path / "missing"))

            # Then it fails with the reason, and its command never ran
            failed = await facts.wait("nofolder", Failed)
            assert "missing" in failed.reason
            assert not marker.exists()

    run(story())


def test_a_job_whose_mount_is_gone_fails_before_its_sandbox_starts(
    jobs_dir: Path, alice: UnixIdentity, tmp_path: Path
) -> None:
    async def story() -> None:
        facts = Facts()
        async with local(jobs_dir, facts) as provider:
            gone = Mount(tmp_path / "deleted", "/work/data", read_only=True)
            await provider.submit(replace(a_job("nomount", "true", alice), mounts=(gone,)))

            failed = await facts.wait("nomount", Failed)
            assert failed.reason == "cannot start: the sandbox cannot mount /work/data (not found)"

    run(story())
