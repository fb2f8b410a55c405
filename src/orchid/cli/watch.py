"""`jobs list --watch`: the table, refreshed in place until Ctrl-C."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from rich.console import Group
from rich.live import Live
from rich.text import Text

from orchid.cli import output
from orchid.cli.job_views import jobs_table
from orchid.cli.timefmt import clock, now_ms
from orchid.schemas.jobs import Job


def _view(jobs: Sequence[Job], interval: float) -> Group:
    caption = Text(f"{clock(now_ms())} - every {interval:g} s - Ctrl-C to stop", style="dim")
    return Group(jobs_table(jobs) if jobs else Text("No jobs."), caption)


def watch(fetch: Callable[[], Sequence[Job]], fmt: output.OutputFormat, interval: float) -> None:
    """Show `fetch()` every `interval` seconds until Ctrl-C (which ends it normally).

    On a terminal the table is redrawn in place; otherwise (and with json, one array per line)
    each refresh is printed after the previous one.
    """
    console = output.stdout()
    try:
        if fmt is output.OutputFormat.JSON or not console.is_terminal:
            while True:
                jobs = fetch()
                if fmt is output.OutputFormat.JSON:
                    output.print_json(output.wire(jobs), compact=True)
                else:
                    console.print(_view(jobs, interval))
                time.sleep(interval)
        with Live(_view(fetch(), interval), console=console, auto_refresh=False) as live:
            while True:
                time.sleep(interval)
                live.update(_view(fetch(), interval), refresh=True)
    except KeyboardInterrupt:
        return
