"""Jobs for people: the list table, the details of one job and its update timeline."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from orchid.cli import output
from orchid.cli.timefmt import clock, now_ms, relative, span
from orchid.schemas.apps import AppParameterValue, FileValue
from orchid.schemas.jobs import Job


def time_left(job: Job, now: int | None = None) -> str:
    """'4h 59m' while the clock runs, the allocation before the start, '-' otherwise."""
    now = now_ms() if now is None else now
    if job.status.expires_at is not None:
        return span(job.status.expires_at - now)
    allocation = job.specification.time_allocation
    if allocation is not None and not job.status.state.is_final:
        return f"{span(allocation.ms)} (not started)"
    return "-"


def jobs_table(jobs: Sequence[Job]) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("ID", "NAME", "APP", "STATE", "CREATED", "TIME LEFT"):
        table.add_column(column, no_wrap=column in ("ID", "STATE"))
    now = now_ms()
    for job in jobs:
        spec = job.specification
        table.add_row(
            job.id,
            Text(spec.name or "-"),
            Text(f"{spec.application.name} {spec.application.version}"),
            output.state_text(job.status.state),
            relative(job.created_at, now),
            time_left(job, now),
        )
    return table


def _value_text(value: AppParameterValue) -> str:
    if isinstance(value, FileValue):
        return value.path + (":ro" if value.read_only else "")
    data = value.model_dump(mode="json", exclude={"type"})
    return str(data["value"]) if set(data) == {"value"} else str(data)


def job_details(job: Job) -> list[RenderableType]:
    """A key/value grid of the job, then its updates as a timeline."""
    spec, status = job.specification, job.status
    now = now_ms()
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    product = f"{spec.product.id} ({spec.product.category} @ {spec.product.provider})"
    if status.resolved_product is not None:
        resolved = status.resolved_product
        product += f": {resolved.cpu} vCPU, {resolved.memory_in_gigs} GiB"
    rows: list[tuple[str, str | Text]] = [
        ("Job", job.id),
        ("Name", Text(spec.name or "-")),
        ("Application", Text(f"{spec.application.name} {spec.application.version}")),
        ("State", output.state_text(status.state)),
        ("Product", Text(product)),
        ("Replicas", str(spec.replicas)),
        ("Owner", Text(job.owner.created_by)),
        ("Created", f"{clock(job.created_at, now)} ({relative(job.created_at, now)})"),
    ]
    if status.started_at is not None:
        rows.append(
            ("Started", f"{clock(status.started_at, now)} ({relative(status.started_at, now)})")
        )
    allocation = spec.time_allocation
    rows.append(("Allocation", span(allocation.ms) if allocation is not None else "none"))
    if status.expires_at is not None:
        rows.append(("Expires", f"{clock(status.expires_at, now)} ({time_left(job, now)} left)"))
    for name, value in (spec.parameters or {}).items():
        rows.append((f"--param {name}", Text(_value_text(value))))
    for resource in spec.resources or []:
        rows.append(("--mount", Text(_value_text(resource))))
    if job.output is not None and job.output.output_folder:
        rows.append(("Output folder", Text(job.output.output_folder)))
    for key, cell in rows:
        grid.add_row(key, cell)
    timeline = Table(
        title="Updates", title_justify="left", box=None, header_style="bold", pad_edge=False
    )
    timeline.add_column("TIME", no_wrap=True)
    timeline.add_column("STATE", no_wrap=True)
    timeline.add_column("STATUS")
    for update in job.updates:
        timeline.add_row(
            clock(update.timestamp, now),
            output.state_text(update.state) if update.state is not None else "",
            Text(update.status or ""),
        )
    return [grid, Text(), timeline]
