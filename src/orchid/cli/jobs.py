"""`orchid jobs list|show|follow|extend|terminate|output|open|shell`."""

from __future__ import annotations

import itertools
from typing import Annotated

import typer
from rich.text import Text

from orchid.cli import job_output, output, sessions
from orchid.cli.common import guarded, open_client
from orchid.cli.errors import CliError
from orchid.cli.follow_view import follow_job
from orchid.cli.job_views import job_details, jobs_table
from orchid.cli.timefmt import clock, parse_when, relative, span
from orchid.cli.waiting import wait_final
from orchid.cli.watch import watch
from orchid.client import Client, to_duration
from orchid.domain.states import JobState
from orchid.schemas.jobs import Job, JobIncludeFlags

jobs_app = typer.Typer(
    no_args_is_help=True,
    help="List, show, follow, extend and terminate jobs; list or download their output folder; "
    "open their web interface or a shell.",
)
jobs_app.command("open")(sessions.open_interface)
jobs_app.command("shell")(sessions.shell)
jobs_app.command("output")(job_output.job_output)

JobId = Annotated[str, typer.Argument(metavar="ID", help="A job id.")]


def _when(text: str | None, option: str) -> int | None:
    if text is None:
        return None
    try:
        return parse_when(text)
    except ValueError as exc:
        raise CliError(f"{option}: {exc}") from None


def _fetch(client: Client, flags: JobIncludeFlags, limit: int) -> list[Job]:
    jobs = client.jobs(flags, page_size=min(limit, 250) if limit > 0 else 250)
    return list(itertools.islice(jobs, limit) if limit > 0 else jobs)


@jobs_app.command("list")
@guarded
def list_jobs(
    state: Annotated[
        JobState | None, typer.Option(case_sensitive=False, help="Only jobs in this state.")
    ] = None,
    app: Annotated[str | None, typer.Option(help="Only jobs of this application.")] = None,
    created_after: Annotated[
        str | None,
        typer.Option(help="Only jobs created since: a date (2024-05-01T12:00) or an age (2h, 1d)."),
    ] = None,
    created_before: Annotated[
        str | None, typer.Option(help="Only jobs created until: a date or an age.")
    ] = None,
    limit: Annotated[int, typer.Option(min=0, help="At most this many jobs (0: all).")] = 50,
    watch_jobs: Annotated[
        bool, typer.Option("--watch", "-w", help="Refresh the list until Ctrl-C.")
    ] = False,
    interval: Annotated[
        float, typer.Option(min=0.1, help="Seconds between refreshes with --watch.")
    ] = 2.0,
    fmt: output.Output = output.OutputFormat.HUMAN,
) -> None:
    """Your jobs, newest first."""
    flags = JobIncludeFlags(
        filter_state=state,
        filter_application=app,
        filter_created_after=_when(created_after, "--created-after"),
        filter_created_before=_when(created_before, "--created-before"),
    )
    with open_client() as client:
        if watch_jobs:
            watch(lambda: _fetch(client, flags, limit), fmt, interval)
            return
        jobs = _fetch(client, flags, limit)
    if fmt is output.OutputFormat.JSON:
        output.print_json(output.wire(jobs))
    elif not jobs:
        output.info("No jobs.")
    else:
        output.stdout().print(jobs_table(jobs))


@jobs_app.command("show")
@guarded
def show(job_id: JobId, fmt: output.Output = output.OutputFormat.HUMAN) -> None:
    """A job's details and the timeline of its updates."""
    with open_client() as client:
        job = client.retrieve(
            job_id, include_updates=True, include_product=True, include_parameters=True
        )
    if fmt is output.OutputFormat.JSON:
        output.print_json(output.wire(job))
    else:
        for part in job_details(job):
            output.stdout().print(part)


@jobs_app.command("follow")
@guarded
def follow(job_id: JobId, fmt: output.Output = output.OutputFormat.HUMAN) -> None:
    """Stream a job's state changes and logs until it ends (json: one message per line).

    Exit codes:
    0 the job ended SUCCESS (whatever the application's own exit code),
    3 it ended FAILURE, 4 it ended EXPIRED,
    130 Ctrl-C (detached, or terminated on request),
    1 any error (unknown job, server unreachable, refused token, lost stream).
    """
    with open_client() as client:
        code = follow_job(client, job_id, fmt)
    raise typer.Exit(int(code))


@jobs_app.command("extend")
@guarded
def extend(
    job_id: JobId,
    duration: Annotated[str, typer.Argument(metavar="DURATION", help="e.g. 1h, 30m, 1h30m.")],
    fmt: output.Output = output.OutputFormat.HUMAN,
) -> None:
    """Give a running or queued job more time: its deadline moves by DURATION."""
    try:
        requested = to_duration(duration)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    with open_client() as client:
        client.extend(job_id, requested)
        job = client.retrieve(job_id)
    if fmt is output.OutputFormat.JSON:
        output.print_json(output.wire(job))
        return
    deadline = job.status.expires_at
    after = f": it now expires at {clock(deadline)} ({relative(deadline)})" if deadline else ""
    output.stdout().print(
        f"Extended job {job_id} by {span(requested.ms)}{after}.",
        soft_wrap=True,
        markup=False,
    )


@jobs_app.command("terminate")
@guarded
def terminate(
    job_ids: Annotated[list[str], typer.Argument(metavar="ID...", help="Job ids.")],
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Wait until every job has stopped.")
    ] = True,
    timeout: Annotated[float, typer.Option(min=0, help="Seconds to wait at most.")] = 120.0,
    fmt: output.Output = output.OutputFormat.HUMAN,
) -> None:
    """Stop jobs. Terminating a job that already ended is not an error."""
    with open_client() as client:
        client.terminate(*job_ids)
        if wait:
            jobs = wait_final(
                client, job_ids, timeout=timeout, what="Waiting for the jobs to stop..."
            )
        else:
            jobs = [client.retrieve(job_id) for job_id in dict.fromkeys(job_ids)]
    if fmt is output.OutputFormat.JSON:
        output.print_json(output.wire(jobs))
        return
    for job in jobs:
        line = Text.assemble(f"Job {job.id}: ", output.state_text(job.status.state))
        output.stdout().print(line, soft_wrap=True)
