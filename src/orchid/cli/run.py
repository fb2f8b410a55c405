"""`orchid run APP[@VERSION] ...`: create a job from the command line, and optionally follow it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orchid.cli import output
from orchid.cli.common import guarded, open_client
from orchid.cli.errors import CliError
from orchid.cli.follow_view import follow_job
from orchid.cli.products import resolve_product
from orchid.cli.remote import RemotePaths
from orchid.client import (
    Client,
    ConflictError,
    MissingParameter,
    NotFoundError,
    ParameterError,
    to_duration,
)
from orchid.client.params import parameter_values, split_assignment
from orchid.schemas.apps import Application, AppParameterValue, FileValue, NameAndVersion
from orchid.schemas.base import SimpleDuration
from orchid.schemas.jobs import JobSpecification


def split_app(ref: str) -> tuple[str, str | None]:
    """'shell-script@1.0.0' -> ('shell-script', '1.0.0'); without '@' the version is None."""
    name, _, version = ref.partition("@")
    if not name.strip():
        raise CliError(f"expected APP or APP@VERSION, got {ref!r}")
    return name.strip(), version.strip() or None


def read_assignments(params: list[str]) -> dict[str, str]:
    """--param texts as {name: value}; a value '@path' is the file's content ('@@x' is '@x')."""
    values: dict[str, str] = {}
    for text in params:
        try:
            name, value = split_assignment(text)
        except ParameterError as exc:
            raise CliError(f"--param: {exc}") from None
        if value.startswith("@@"):
            value = value[1:]
        elif value.startswith("@"):
            path = Path(value[1:]).expanduser()
            try:
                value = path.read_text()
            except (OSError, UnicodeDecodeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
                raise CliError(f"--param {name}: cannot read {path}: {reason}") from None
        if name in values:
            raise CliError(f"--param {name} is given twice")
        values[name] = value
    return values


def parse_time(text: str | None) -> SimpleDuration | None:
    if text is None:
        return None
    try:
        duration = to_duration(text)
    except ValueError as exc:
        raise CliError(f"--time: {exc}") from None
    if duration.ms <= 0:
        raise CliError("--time must be longer than 0s")
    return duration


def fetch_application(client: Client, name: str, version: str | None) -> Application:
    try:
        return client.application(name, version)
    except NotFoundError:
        wanted = f"{name}@{version}" if version else name
        known = ", ".join(sorted({a.metadata.name for a in client.applications()}))
        raise CliError(f"unknown application {wanted!r} (applications: {known})") from None


def default_time(app: Application) -> SimpleDuration | None:
    tool = app.invocation.tool.tool
    return tool.description.default_time_allocation if tool is not None else None


def default_replicas(app: Application) -> int:
    tool = app.invocation.tool.tool
    return tool.description.default_number_of_nodes if tool is not None else 1


@guarded
def run(
    app_ref: Annotated[
        str, typer.Argument(metavar="APP[@VERSION]", help="Application; newest version if none.")
    ],
    product: Annotated[
        str | None,
        typer.Option(
            help="Product (machine type) ID, or PROVIDER/ID; default: the first product listed."
        ),
    ] = None,
    time: Annotated[
        str | None,
        typer.Option(help="Time allocation, e.g. 1h30m, 45m, 90s; default: the app's, else none."),
    ] = None,
    replicas: Annotated[
        int | None, typer.Option(min=1, help="Number of replicas (nodes); default: the app's, 1.")
    ] = None,
    name: Annotated[str | None, typer.Option(help="A label for the job.")] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            metavar="KEY=VALUE",
            help="A parameter value, typed as the app declares it; KEY=@FILE reads a file.",
        ),
    ] = None,
    mount: Annotated[
        list[str] | None,
        typer.Option(
            "--mount",
            "-m",
            metavar="PATH[:ro]",
            help="A folder or file of your drives (~/... or /<drive>/...) the job sees at "
            "/work/<its name>; :ro makes it read-only.",
        ),
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Stream state changes and logs until it ends.")
    ] = False,
    allow_duplicate: Annotated[
        bool,
        typer.Option("--allow-duplicate", help="Start it even if an identical job is active."),
    ] = False,
    fmt: output.Output = output.OutputFormat.HUMAN,
) -> None:
    """Create a job. With --follow, stream its state changes and logs until it ends.

    Exit codes with --follow:
    0 the job ended SUCCESS (whatever the application's own exit code),
    3 it ended FAILURE, 4 it ended EXPIRED,
    130 Ctrl-C (detached, or terminated on request),
    1 any error (bad input, server unreachable, refused token), 2 bad options.
    """
    app_name, version = split_app(app_ref)
    allocation = parse_time(time)
    assignments = read_assignments(param or [])
    with open_client() as client:
        app = fetch_application(client, app_name, version)
        try:
            values = parameter_values(app, assignments)
        except MissingParameter as exc:
            raise CliError(f"{exc}: pass --param {exc.name}=VALUE") from None
        except ParameterError as exc:
            raise CliError(str(exc)) from None
        remote = RemotePaths(client)
        values = {name: _resolved(remote, value) for name, value in values.items()}
        spec = JobSpecification(
            application=NameAndVersion(name=app.metadata.name, version=app.metadata.version),
            product=resolve_product(client.products(), product),
            name=name,
            replicas=replicas or default_replicas(app),
            allow_duplicate_job=allow_duplicate,
            parameters=values,
            resources=[_mount_value(remote, text) for text in mount or []] or None,
            time_allocation=allocation or default_time(app),
        )
        try:
            job_id = client.create(spec)
        except ConflictError as exc:
            if exc.error_code != "DUPLICATE_JOB":
                raise
            raise CliError(f"{exc.why}; pass --allow-duplicate to start another") from None
        if follow:
            code = follow_job(client, job_id, fmt)
            raise typer.Exit(int(code))
        if fmt is output.OutputFormat.JSON:
            output.print_json(output.wire(client.retrieve(job_id, include_parameters=True)))
            return
        output.stdout().print(
            f"Created job {job_id} ({spec.application.name} {spec.application.version} on "
            f"{spec.product.id}). Follow it with `orchid jobs follow {job_id}`.",
            soft_wrap=True,
            markup=False,
        )


def _mount_value(remote: RemotePaths, text: str) -> FileValue:
    """`--mount PATH[:ro]` as a resource: the path in API form, read-only with `:ro`."""
    path, read_only = text, False
    if text.endswith((":ro", ":rw")):
        path, read_only = text[:-3], text.endswith(":ro")
    if not path:
        raise CliError(f"--mount needs a path (~/... or /<drive>/...), not {text!r}")
    where = remote.resolve(path)
    if where == "/":
        raise CliError("--mount /: mount a drive (/<drive>) or a folder in one")
    return FileValue(path=where, read_only=read_only)


def _resolved(remote: RemotePaths, value: AppParameterValue) -> AppParameterValue:
    """A file parameter given as ~/... or /<drive title>/... in API form (/<drive id>/...)."""
    if not isinstance(value, FileValue):
        return value
    if not value.path.startswith(("~", "/")):
        raise CliError(f"file parameters are paths ~/... or /<drive>/..., not {value.path!r}")
    return FileValue(path=remote.resolve(value.path), read_only=value.read_only)
