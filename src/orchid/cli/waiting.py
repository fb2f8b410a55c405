"""Waiting for jobs to reach a final state, with a spinner for people."""

from __future__ import annotations

import time
from collections.abc import Sequence

from orchid.cli import output
from orchid.cli.errors import CliError
from orchid.client import Client
from orchid.schemas.jobs import Job

POLL_SECONDS = 0.2


def wait_final(client: Client, job_ids: Sequence[str], *, timeout: float, what: str) -> list[Job]:
    """The jobs once every one is final, in the order given. Raises CliError after `timeout`."""
    deadline = time.monotonic() + timeout
    pending = list(dict.fromkeys(job_ids))
    done: dict[str, Job] = {}
    with output.stderr().status(what):
        while pending:
            for job_id in list(pending):
                job = client.retrieve(job_id, include_updates=True)
                if job.status.state.is_final:
                    done[job_id] = job
                    pending.remove(job_id)
            if not pending:
                break
            if time.monotonic() > deadline:
                raise CliError(
                    f"gave up after {timeout:g} s: job(s) {', '.join(pending)} still active"
                )
            time.sleep(POLL_SECONDS)
    return [done[job_id] for job_id in dict.fromkeys(job_ids)]
