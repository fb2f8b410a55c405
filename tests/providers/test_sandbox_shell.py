"""A shell session enters the replica's sandbox: same account, /work, the job's processes."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import pytest

from orchid.providers.base import Exited, Started
from tests.facts import Facts, run
from tests.providers.test_local import TEST_IDENTITY, WAIT_FOR_DONE, finish, job, jobs_dir, local

__all__ = ["jobs_dir"]

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="entering a sandbox needs root")


def test_the_shell_runs_inside_the_replicas_sandbox_as_the_jobs_account(jobs_dir: Path) -> None:
    async def story() -> None:
        facts = Facts()
        async with local(jobs_dir, facts) as provider:
            # Given a running job that wrote a file in its folder
            await provider.submit(job("sh1", f"echo hello > greeting; {WAIT_FOR_DONE}"))
            await facts.wait("sh1", Started)
            greeting = jobs_dir / "sh1" / "work" / "greeting"
            async with asyncio.timeout(5):
                while not greeting.exists():
                    await asyncio.sleep(0.01)

            # When a shell is opened in rank 0 and given a few commands
            command = await provider.shell_command("sh1", 0)
            script = (
                'pwd; id -u; echo "$HOME"; cat greeting; ps -e -o comm= | sort -u | tr "\\n" " "'
            )
            done = await asyncio.to_thread(
                subprocess.run,
                list(command.argv),
                input=script,
                env=dict(command.env),
                cwd=command.cwd,
                capture_output=True,
                text=True,
                timeout=20,
            )

            # Then it ran in /work as the job's account, saw the job's file and processes
            # (and only those: the job's shell and its sleep loop, bwrap's init, the shell)
            lines = done.stdout.splitlines()
            assert done.returncode == 0, done.stderr
            assert lines[0] == "/work", done.stdout + done.stderr
            assert TEST_IDENTITY is not None and lines[1] == str(TEST_IDENTITY.uid)
            assert lines[2] == "/work"
            assert lines[3] == "hello"
            assert "sh" in lines[4].split() and "bwrap" in lines[4].split()
            assert "python3" not in lines[4] and "pytest" not in lines[4]

            finish(jobs_dir, "sh1")
            assert (await facts.wait("sh1", Exited)).exit_codes == {0: 0}

    run(story())
