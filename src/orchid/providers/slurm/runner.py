"""Running one Slurm command: the only place the provider starts a process.

A command either prints its answer (returned) or fails with CommandFailed, which says whether
the failure is transient (the controller did not answer: try again later) or a refusal.

The process is started and waited for in a worker thread with `subprocess.run`: CPython starts it
with vfork, which costs a fraction of the fork that the event loop's own subprocess support uses
in a process as large as Orchid's, and the event loop stays free meanwhile.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Mapping, Sequence

from orchid.providers.slurm.parse import is_transient


class CommandFailed(Exception):
    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient


async def run(argv: Sequence[str], env: Mapping[str, str], timeout: float) -> str:
    """Run `argv` (no shell) and return its stdout. Raises CommandFailed; a command that does not
    finish within `timeout` seconds is killed and counts as transient."""
    return await asyncio.to_thread(run_blocking, argv, env, timeout)


def run_blocking(argv: Sequence[str], env: Mapping[str, str], timeout: float) -> str:
    name = os.path.basename(argv[0])
    try:
        done = subprocess.run(
            list(argv),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=dict(env),
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise CommandFailed(f"{name} did not answer within {timeout:g} s", transient=True) from None
    except OSError as e:
        raise CommandFailed(f"cannot run {name}: {e.strerror or e}", transient=False) from e
    if done.returncode != 0:
        text = (done.stderr or done.stdout).decode(errors="replace").strip()
        message = text.splitlines()[-1] if text else f"{name} exited with {done.returncode}"
        raise CommandFailed(message, transient=is_transient(text))
    return done.stdout.decode(errors="replace")
