"""The local provider, with real processes.

Each test runs in a fresh event loop (`run`) and waits for facts through `Facts`, a sink that wakes
the test when a fact arrives. Jobs that must outlive a step of the story wait for a `done` file in
their own folder (/work, the `work` folder of their job folder), which the test creates when the
story moves on. Every job is sandboxed, and runs as `nobody` when the tests run as root.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pwd
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from orchid.errors import ProviderError
from orchid.providers.base import (
    Exited,
    Failed,
    Handle,
    JobRun,
    ProductShape,
    Queued,
    Started,
    UnixIdentity,
)
from orchid.providers.local import LocalProvider, process
from tests.facts import Facts, run

SMALL = ProductShape("small", cpu=1, memory_gib=1)
WAIT_FOR_DONE = "until [ -e done ]; do sleep 0.02; done"


def test_identity() -> UnixIdentity | None:
    """The account test jobs run as: `nobody` when the tests run as root (jobs never run as
    root), else none (jobs run as the tests' own account)."""
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam("nobody")
    return UnixIdentity("nobody", entry.pw_uid, entry.pw_gid)


TEST_IDENTITY = test_identity()
test_identity.__test__ = False  # type: ignore[attr-defined]


async def until(condition: Callable[[], bool], timeout: float = 5) -> None:
    """Wait for something outside the provider (a file written by a job) to become true."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def job(
    job_id: str,
    script: str,
    *,
    replicas: int = 1,
    product: ProductShape = SMALL,
    handle: Handle | None = None,
) -> JobRun:
    return JobRun(
        job_id=job_id,
        argv=["sh", "-c", script],
        env={"GREETING": "hello"},
        replicas=replicas,
        product=product,
        time_allocation_ms=None,
        handle=handle,
        identity=TEST_IDENTITY,
    )


@contextlib.asynccontextmanager
async def local(
    jobs_dir: Path, facts: Facts, *, cpus: int = 4, grace: float = 30
) -> AsyncIterator[LocalProvider]:
    provider = LocalProvider(
        "local", jobs_dir, facts, cpus=cpus, memory_gib=16, grace_seconds=grace
    )
    await provider.start()
    try:
        yield provider
    finally:
        await provider.stop()


def finish(jobs_dir: Path, job_id: str) -> None:
    """Let a job running WAIT_FOR_DONE end normally."""
    (jobs_dir / job_id / "work" / "done").touch()


@pytest.fixture
def jobs_dir(tmp_path: Path) -> Iterator[Path]:
    """A jobs folder whose leftover processes are killed after the test, whatever happened."""
    directory = tmp_path / "jobs"
    yield directory
    for handle_file in directory.glob("*/handle.json"):
        handle = json.loads(handle_file.read_text())
        for pid, starttime in zip(handle["pids"], handle["starttimes"], strict=True):
            if _starttime(pid) != starttime:
                continue
            init = process.sandbox_init(pid)
            if init is not None:
                process.signal_pid(init, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def _starttime(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rfind(")") + 2 :].split()[19])


# ---- running jobs ----


def test_a_job_reports_started_then_its_exit_code(jobs_dir: Path) -> None:
    async def story() -> None:
        facts = Facts()
        async with local(jobs_dir, facts) as provider:
            # Given a job that exits with code 3
            await provider.submit(job("j1", "exit 3"))

            # Then it is reported started, with a handle that names its process
            started = await facts.wait("j1", Started)
            assert started.provider_job_id == "j1"
            assert len(started.handle["pids"]) == len(started.handle["starttimes"]) == 1
            assert started.handle["dir"] == str(jobs_dir / "j1")
            assert json.loads((jobs_dir / "j1" / "handle.json").read_text()) == started.handle

            # And then exited with its code
            exited = await facts.wait("j1", Exited)
            assert exited == Exited("j1", {0: 3})
            assert facts.of("j1") == [started, exited]

    run(story())


def test_every_replica_knows_its_rank_and_writes_its_own_log(jobs_dir: Path) -> None:
    async def story() -> None:
        facts = Facts()
        async with local(jobs_dir, facts) as provider:
            # Given a job of two replicas that print their identity and complain on stderr
            script = 'echo "$GREETING rank $ORCHID_RANK of $ORCHID_REPLICAS in $ORCHID_JOB_ID"'
            await provider.submit(job("j2", f"{script}; echo oops >&2", replicas=2))

            # When both have exited
            assert (await facts.wait("j2", Exited)).exit_codes == {0: 0, 1: 0}

            # Then each rank's stdout and stderr are in its own files, in the job's folder
            logs = {(f.rank, f.stream): f.path for f in provider.log_files("j2", 2)}
            assert logs[(1, "stdout")] == jobs_dir / "j2" / "rank-1.stdout"
            assert logs[(0, "stdout")].read_text() == "hello rank 0 of 2 in j2\n"
            assert logs[(1, "stdout")].read_text() == "hello rank 1 of 2 in j2\n"
            assert logs[(0, "stderr")].read_text() == "oops\n"

    run(story())


def test_python3_is_the_systems_and_imports_orchid_apps(jobs_dir: Path) -> None:
    async def story() -> None:
        facts = Facts()
        async with local(jobs_dir, facts) as provider:
            # Given a job that asks which python3 it got, and where orchid.apps comes from
            script = "import sys, orchid.apps; print(sys.executable); print(orchid.apps.__file__)"
            await provider.submit(job("py", f"python3 -c '{script}'"))

            # Then it is the system's (Orchid's own installation is out of sight), and the
            # built-in applications' package is importable, read-only
            assert (await facts.wait("py", Exited)).exit_codes == {0: 0}
            got = (jobs_dir / "py" / "rank-0.stdout").read_text().split()
            assert got[0].startswith("/usr/bin/python3")
            assert got[1] == "/run/orchid/python/orchid/apps/__init__.py"

    run(story())


def test_a_missing_executable_fails_without_starting(jobs_dir: Path) -> None:
    async def story() -> None:
        facts = Facts()
        async with local(jobs_dir, facts) as provider:
            # Given a job whose program does not exist
            await provider.submit(replace(job("nx", ""), argv=["no-such-program", "--help"]))

            # Then it fails at once, and nothing was started
            failed = await facts.wait("nx", Failed)
            assert "cannot start: 'no-such-program' not found" in failed.reason
            assert facts.of("nx") == [failed]
            assert not list(jobs_dir.glob("nx/rank-*"))

    run(story())


# ---- terminating ----


def test_terminate_stops_a_running_job_with_sigterm(jobs_dir: Path) -> None:
    async def story() -> None:
        facts = Facts()
        # Given a long job, and a grace period far longer than the test
        async with local(jobs_dir, facts, grace=60) as provider:
            await provider.submit(job("t1", "sleep 60"))
            await facts.wait("t1", Started)

            # When it is terminated right away (twice, and an unknown job too: both are no-ops)
            await provider.terminate("t1")
            await provider.terminate("t1")
            await provider.terminate("unknown")

            # Then SIGTERM ends it quickly
            exited = await facts.wait("t1", Exited, timeout=3)
            assert exited == Exited("t1", {0: 128 + signal.SIGTERM})

    run(story())


def test_a_job_that_handles_sigterm_ends_on_its_own_terms(jobs_dir: Path) -> None:
    async def story() -> None:
        facts = Facts()
        async with local(jobs_dir, facts) as provider:
            # Given a job that cleans up when asked to stop
            script = "trap 'echo cleaning up; exit 0' TERM; echo ready; while :; do sleep 1; done"
            await provider.submit(job("polite", script))
            stdout = jobs_dir / "polite" / "rank-0.stdout"
            await until(lambda: stdout.exists() and stdout.read_text() == "ready\n")

            # When it is terminated
            await provider.terminate("polite")

            # Then it gets to clean up, and its own exit code is reported
            exited = await facts.wait("polite", Exited)
            assert exited == Exited("polite", {0: 0})
            assert stdout.read_text() == "ready\ncleaning up\n"

    run(story())


def test_a_job_that_ignores_sigterm_is_killed_after_the_grace_period(jobs_dir: Path) -> None:
    async def story() -> None:
        facts = Facts()
        async with local(jobs_dir, facts, grace=0.5) as provider:
            # Given a job that ignores SIGTERM
            script = "trap '' TERM; echo ready; while :; do sleep 0.05; done"
            await provider.submit(job("stubborn", script))
            stdout = jobs_dir / "stubborn" / "rank-0.stdout"
            await until(lambda: stdout.exists() and stdout.read_text() == "ready\n")

            # When it is terminated
            asked = time.monotonic()
            await provider.terminate("stubborn")

            # Then it is SIGKILLed once the grace period is over
            exited = await facts.wait("stubborn", Exited)
            assert time.monotonic() - asked >= 0.5
            assert exited == Exited("stubborn", {0: 128 + signal.SIGKILL})

    run(story())


# ---- capacity ----


def test_fits_compares_a_job_with_the_machine(jobs_dir: Path) -> None:
    provider = LocalProvider("local", jobs_dir, Facts(), cpus=2, memory_gib=4, grace_seconds=1)

    # A job fits when all its replicas together fit the totals
    assert provider.fits(ProductShape("p", cpu=1, memory_gib=2), replicas=2)
    # and not when they need more CPUs, more memory, or a GPU
    assert not provider.fits(ProductShape("p", cpu=3, memory_gib=1), replicas=1)
    assert not provider.fits(ProductShape("p", cpu=1, memory_gib=1), replicas=3)
    assert not provider.fits(ProductShape("p", cpu=1, memory_gib=5), replicas=1)
    assert not provider.fits(ProductShape("p", cpu=1, memory_gib=1, gpu=1), replicas=1)

    async def story() -> None:
        await provider.start()
        # Submitting a job that can never fit is refused
        with pytest.raises(ProviderError):
            await provider.submit(job("huge", "true", product=ProductShape("p", 3, 1)))
        await provider.stop()

    run(story())


def test_jobs_wait_for_capacity_first_come_first_served(jobs_dir: Path) -> None:
    big = ProductShape("big", cpu=2, memory_gib=1)

    async def story() -> None:
        facts = Facts()
        # Given a machine with 2 CPUs running two 1-CPU jobs
        async with local(jobs_dir, facts, cpus=2) as provider:
            for job_id in ("a", "b"):
                await provider.submit(job(job_id, WAIT_FOR_DONE))
                await facts.wait(job_id, Started)

            # When a third arrives, it waits for resources
            await provider.submit(job("c", WAIT_FOR_DONE))
            assert facts.of("c") == [Queued("c", "Resources")]

            # and starts as soon as one of the first two ends
            finish(jobs_dir, "a")
            await facts.wait("c", Started)

            # Given a 2-CPU job waiting, then a 1-CPU job behind it
            await provider.submit(job("big", WAIT_FOR_DONE, product=big))
            await provider.submit(job("late", WAIT_FOR_DONE))
            assert facts.of("big") == [Queued("big", "Resources")]
            assert facts.of("late") == [Queued("late", "Resources")]

            # When one CPU frees up, the small job does not overtake the big one
            finish(jobs_dir, "b")
            await facts.wait("b", Exited)
            assert facts.of("late") == [Queued("late", "Resources")]

            # Then the big one starts when both CPUs are free, and the small one after it
            finish(jobs_dir, "c")
            await facts.wait("big", Started)
            assert facts.of("late") == [Queued("late", "Resources")]
            finish(jobs_dir, "big")
            await facts.wait("late", Started)
            finish(jobs_dir, "late")
            await facts.wait("late", Exited)

    run(story())


def test_terminating_a_queued_job_removes_it_from_the_queue(jobs_dir: Path) -> None:
    async def story() -> None:
        facts = Facts()
        # Given a 1-CPU machine with a running job and one waiting
        async with local(jobs_dir, facts, cpus=1) as provider:
            await provider.submit(job("running", WAIT_FOR_DONE))
            await provider.submit(job("waiting", "true"))
            assert facts.of("waiting") == [Queued("waiting", "Resources")]

            # When the waiting job is terminated
            await provider.terminate("waiting")

            # Then it ends without ever having started
            assert facts.of("waiting")[-1] == Exited("waiting", {})

            # and does not start when the machine frees up
            finish(jobs_dir, "running")
            await facts.wait("running", Exited)
            assert not [f for f in facts.of("waiting") if isinstance(f, Started)]

    run(story())


# ---- recovery after a restart ----


def test_a_restarted_provider_reattaches_to_a_running_job(jobs_dir: Path) -> None:
    async def story() -> None:
        # Given a job started by one Orchid, which then stops (the job keeps running)
        before = Facts()
        async with local(jobs_dir, before) as provider_a:
            await provider_a.submit(job("r1", f"{WAIT_FOR_DONE}; exit 5"))
            started = await before.wait("r1", Started)

        # When a new Orchid with room for one job recovers it, and a job that never started
        after = Facts()
        async with local(jobs_dir, after, cpus=1) as provider_b:
            await provider_b.recover(
                [job("r1", WAIT_FOR_DONE, handle=started.handle), job("r2", "exit 0")]
            )

            # Then the adopted job holds its CPU, so the new one waits
            assert after.items == [Queued("r2", "Resources")]

            # and when the adopted job ends, its true exit code is reported, then r2 runs
            finish(jobs_dir, "r1")
            assert await after.wait("r1", Exited) == Exited("r1", {0: 5})
            assert (await after.wait("r2", Exited)).exit_codes == {0: 0}
            assert before.of("r1") == [started]

    run(story())


def test_a_job_that_ended_while_orchid_was_down_reports_its_exit_code(jobs_dir: Path) -> None:
    async def story() -> None:
        # Given a job started by one Orchid, which then stops
        before = Facts()
        async with local(jobs_dir, before) as provider_a:
            await provider_a.submit(job("r3", f"{WAIT_FOR_DONE}; exit 7"))
            started = await before.wait("r3", Started)

        # and the job ends while nobody watches (and is reaped by someone else)
        finish(jobs_dir, "r3")
        await asyncio.to_thread(os.waitpid, started.handle["pids"][0], 0)

        # When a new Orchid recovers it
        after = Facts()
        async with local(jobs_dir, after) as provider_b:
            await provider_b.recover([job("r3", WAIT_FOR_DONE, handle=started.handle)])

            # Then it reports the exit code the job really had
            assert await after.wait("r3", Exited) == Exited("r3", {0: 7})

    run(story())


def test_a_job_cancelled_before_it_started_is_not_started_on_recovery(jobs_dir: Path) -> None:
    async def story() -> None:
        # Given a job the user cancelled while it waited, and an Orchid that stopped before the
        # provider confirmed it (so the job is still CANCELING, without a handle)
        facts = Facts()
        async with local(jobs_dir, facts) as provider:
            # When a new Orchid recovers it
            cancelled = replace(job("c1", "echo ran > ran"), cancelling=True)
            await provider.recover([cancelled])

            # Then it is reported stopped, and nothing was started
            assert await facts.wait("c1", Exited) == Exited("c1", {})
        assert not (jobs_dir / "c1" / "work" / "ran").exists()

    run(story())


def test_a_job_started_before_the_service_saved_its_handle_is_not_run_twice(
    jobs_dir: Path,
) -> None:
    async def story() -> None:
        # Given a job that counts its runs, started by an Orchid that stopped before the
        # service saved the handle
        before = Facts()
        async with local(jobs_dir, before) as provider_a:
            await provider_a.submit(job("r4", f"echo run >> runs; {WAIT_FOR_DONE}"))
            started = await before.wait("r4", Started)

        # When a new Orchid recovers it without a handle
        after = Facts()
        async with local(jobs_dir, after) as provider_b:
            await provider_b.recover([job("r4", f"echo run >> runs; {WAIT_FOR_DONE}")])

            # Then it adopts the running processes and reports them so the handle gets saved
            assert await after.wait("r4", Started) == started
            finish(jobs_dir, "r4")
            assert await after.wait("r4", Exited) == Exited("r4", {0: 0})

        # and the job ran once
        assert (jobs_dir / "r4" / "work" / "runs").read_text() == "run\n"

    run(story())


def test_a_job_interrupted_while_starting_is_stopped_and_failed(jobs_dir: Path) -> None:
    async def story() -> None:
        # Given an Orchid that stopped after spawning the first of two replicas (handle.json
        # names one process)
        before = Facts()
        async with local(jobs_dir, before) as provider_a:
            await provider_a.submit(job("r8", WAIT_FOR_DONE))
            await before.wait("r8", Started)

        # When a new Orchid recovers the two-replica job
        after = Facts()
        async with local(jobs_dir, after) as provider_b:
            await provider_b.recover([job("r8", WAIT_FOR_DONE, replicas=2)])

            # Then the half-started job is stopped, not completed or started again
            failed = await after.wait("r8", Failed)
            assert failed.reason == "interrupted while starting (1 replica(s) started)"
            assert after.of("r8") == [failed]

    run(story())


def test_a_reused_pid_is_not_mistaken_for_the_job(jobs_dir: Path) -> None:
    async def story() -> None:
        # Given a process whose pid is in a handle, but which started at another time than the
        # handle says (as when the job ended and the pid went to someone else)
        before = Facts()
        async with local(jobs_dir, before) as provider_a:
            await provider_a.submit(job("r5", WAIT_FOR_DONE))
            started = await before.wait("r5", Started)
        pid = started.handle["pids"][0]
        stale = {**started.handle, "starttimes": [started.handle["starttimes"][0] - 1]}

        # When a new Orchid recovers the handle
        after = Facts()
        async with local(jobs_dir, after) as provider_b:
            await provider_b.recover([job("r5", WAIT_FOR_DONE, handle=stale)])

            # Then the job is not adopted: it is gone without an exit status, which is a failure
            failed = await after.wait("r5", Failed)
            assert failed.reason == "replica 0 vanished without an exit status"

        # and the stranger holding the pid was left alone
        assert _starttime(pid) == started.handle["starttimes"][0]

    run(story())


def test_a_terminate_survives_a_restart(jobs_dir: Path) -> None:
    async def story() -> None:
        # Given a job that ignores SIGTERM, terminated by an Orchid that stops during the grace
        before = Facts()
        async with local(jobs_dir, before, grace=60) as provider_a:
            script = "trap '' TERM; echo ready; while :; do sleep 0.05; done"
            await provider_a.submit(job("r6", script))
            started = await before.wait("r6", Started)
            stdout = jobs_dir / "r6" / "rank-0.stdout"
            await until(lambda: stdout.exists() and stdout.read_text() == "ready\n")
            await provider_a.terminate("r6")

        # When a new Orchid recovers it
        after = Facts()
        async with local(jobs_dir, after, grace=0.5) as provider_b:
            await provider_b.recover([job("r6", script, handle=started.handle)])

            # Then the forced kill happens (the terminate request survived the restart)
            exited = await after.wait("r6", Exited)
            assert exited == Exited("r6", {0: 128 + signal.SIGKILL})

    run(story())


# A whole other Orchid process: it starts a job, prints the handle and exits, so the job's processes
# are no longer children of anyone who will later watch them.
ORCHID_THAT_EXITS = """
import asyncio, json, sys
from pathlib import Path
from orchid.providers.base import JobRun, ProductShape
from orchid.providers.local import LocalProvider
from tests.facts import Facts, run
from tests.providers.test_local import TEST_IDENTITY

async def main() -> None:
    facts = []
    provider = LocalProvider(
        "local", Path(sys.argv[1]), facts.append, cpus=1, memory_gib=1, grace_seconds=60
    )
    await provider.start()
    run = JobRun(
        sys.argv[2], ["sh", "-c", sys.argv[3]], {}, 1, ProductShape("s", 1, 1), None,
        identity=TEST_IDENTITY,
    )
    await provider.submit(run)
    await provider.stop()
    print(json.dumps(facts[0].handle))

asyncio.run(main())
"""


def test_a_job_left_by_an_orchid_process_that_exited_is_stopped_and_reported(
    jobs_dir: Path,
) -> None:
    async def story() -> None:
        # Given a job that ignores SIGTERM, started by an Orchid process that has exited since
        script = "trap '' TERM; echo ready; while :; do sleep 0.05; done"
        argv = [sys.executable, "-c", ORCHID_THAT_EXITS, str(jobs_dir), "r7", script]
        done = await asyncio.to_thread(subprocess.run, argv, capture_output=True, check=True)
        handle = json.loads(done.stdout)
        stdout = jobs_dir / "r7" / "rank-0.stdout"
        await until(lambda: stdout.exists() and stdout.read_text() == "ready\n")

        # When this Orchid, which is not its parent, adopts and terminates it
        facts = Facts()
        async with local(jobs_dir, facts, grace=0.5) as provider:
            await provider.recover([job("r7", script, handle=handle)])
            await provider.terminate("r7")

            # Then it is killed after the grace period; with no exit file and no parent status,
            # the code is the one of the SIGKILL the provider sent
            exited = await facts.wait("r7", Exited)
            assert exited == Exited("r7", {0: 128 + signal.SIGKILL})

    run(story())
