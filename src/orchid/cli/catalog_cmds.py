"""`orchid apps list|show` and `orchid products list`."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from orchid.cli import catalog_admin, output
from orchid.cli.common import guarded, open_client
from orchid.cli.run import fetch_application, split_app
from orchid.schemas.apps import Application, ApplicationParameter

apps_app = typer.Typer(no_args_is_help=True, help="The applications jobs can run.")
products_app = typer.Typer(no_args_is_help=True, help="The products (machine types) jobs run on.")
apps_app.command("validate")(catalog_admin.validate)
apps_app.command("reload")(catalog_admin.reload)


def _param_summary(app: Application) -> str:
    """'script*' for a required parameter, 'port' for an optional one."""
    names = [p.name + ("" if p.optional else "*") for p in app.invocation.parameters]
    return ", ".join(names) or "-"


def _default(param: ApplicationParameter) -> str:
    raw = param.default_value
    if raw is None:
        return "-"
    if isinstance(raw, dict) and "value" in raw:
        raw = raw["value"]
    return json.dumps(raw)


def _image(app: Application) -> str | None:
    tool = app.invocation.tool.tool
    if tool is None or tool.description.backend != "DOCKER":
        return None
    return tool.description.image


def _software(app: Application) -> str:
    tool = app.invocation.tool
    kind = app.invocation.application_type
    image = _image(app)
    if image is not None:
        return f"{tool.name}@{tool.version}, container image {image} ({kind})"
    return f"{tool.name}@{tool.version}, native ({kind})"


def _example(app: Application) -> str:
    parts = [f"orchid run {app.metadata.name}@{app.metadata.version}"]
    for param in app.invocation.parameters:
        if not param.optional:
            parts.append(f"--param {param.name}=...")
    return " ".join(parts) + " --follow"


@apps_app.command("list")
@guarded
def list_apps(fmt: output.Output = output.OutputFormat.HUMAN) -> None:
    """Every application (required parameters are marked *)."""
    with open_client() as client:
        apps = client.applications()
    if fmt is output.OutputFormat.JSON:
        output.print_json(output.wire(apps))
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("NAME", "VERSION", "TYPE", "RUNS", "TITLE", "PARAMETERS"):
        table.add_column(column, no_wrap=column in ("NAME", "VERSION"))
    for app in apps:
        table.add_row(
            Text(app.metadata.name),
            Text(app.metadata.version),
            app.invocation.application_type,
            "container" if _image(app) else "native",
            Text(app.metadata.title),
            Text(_param_summary(app)),
        )
    output.stdout().print(table)


@apps_app.command("show")
@guarded
def show_app(
    app_ref: Annotated[
        str, typer.Argument(metavar="APP[@VERSION]", help="Application; newest version if none.")
    ],
    fmt: output.Output = output.OutputFormat.HUMAN,
) -> None:
    """One application: what it does and the parameters it takes."""
    name, version = split_app(app_ref)
    with open_client() as client:
        app = fetch_application(client, name, version)
        versions = [a.metadata.version for a in client.applications() if a.metadata.name == name]
    if fmt is output.OutputFormat.JSON:
        output.print_json(output.wire(app))
        return
    console = output.stdout()
    meta = app.metadata
    console.print(Text.assemble((f"{meta.name} {meta.version}", "bold"), f"  {meta.title}"))
    if meta.description:
        console.print(Text(meta.description))
    console.print(Text.assemble(("Software: ", "bold"), _software(app)))
    if len(versions) > 1:
        listed = ", ".join(versions)
        console.print(
            Text.assemble(("Versions: ", "bold"), f"{listed} (the newest is the default)")
        )
    console.print()
    table = Table(title="Parameters", title_justify="left", box=None, header_style="bold")
    for column in ("NAME", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION"):
        table.add_column(column)
    for param in app.invocation.parameters:
        table.add_row(
            Text(param.name),
            param.type,
            "no" if param.optional else "yes",
            Text(_default(param)),
            Text(param.description or param.title),
        )
    console.print(table if app.invocation.parameters else Text("No parameters."))
    console.print()
    console.print(Text.assemble(("Example: ", "bold"), _example(app)), soft_wrap=True)


@products_app.command("list")
@guarded
def list_products(
    provider: Annotated[str | None, typer.Option(help="Only this provider's products.")] = None,
    fmt: output.Output = output.OutputFormat.HUMAN,
) -> None:
    """Every product: what `orchid run --product ID` accepts (the first is the default)."""
    with open_client() as client:
        products = client.products(provider)
    if fmt is output.OutputFormat.JSON:
        output.print_json(output.wire(products))
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("ID", "CATEGORY", "PROVIDER", "CPU", "MEMORY", "GPU", "DESCRIPTION"):
        table.add_column(column, no_wrap=column != "DESCRIPTION")
    for product in products:
        table.add_row(
            Text(product.id),
            Text(product.category.name),
            Text(product.category.provider),
            str(product.cpu),
            f"{product.memory_in_gigs} GiB",
            str(product.gpu),
            Text(product.description),
        )
    output.stdout().print(table)
