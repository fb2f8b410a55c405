"""`orchid images import|list`: container images for container applications, on this machine.

No registry is reachable from Orchid's machines, so images come from files: a root filesystem
tarball (`--name` required) or an archive written by `podman save`/`docker save`. They go into
Orchid's own podman storage in the data directory, where container jobs find them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orchid.settings import Settings

images_app = typer.Typer(no_args_is_help=True, help="Container images for container applications.")

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Data directory (default: ORCHID_DATA_DIR or ~/.local/share/orchid)."
    ),
]


def _settings(data_dir: Path | None) -> Settings:
    return Settings(data_dir=data_dir) if data_dir is not None else Settings()


@images_app.command("import")
def import_image(
    archive: Annotated[Path, typer.Argument(metavar="FILE.tar", help="The image archive.")],
    name: Annotated[
        str | None,
        typer.Option(
            help="Image reference for a root filesystem tarball (e.g. localhost/tools:1); "
            "without it FILE.tar must be a `podman save` archive, which names itself."
        ),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Add an image to Orchid's container storage."""
    from orchid.runtime import import_image as run_import

    if not archive.is_file():
        typer.echo(f"error: {archive}: no such file", err=True)
        raise typer.Exit(1)
    try:
        out = run_import(_settings(data_dir), archive, name)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"imported {name or archive}" + (f": {out.splitlines()[-1]}" if out else ""))


@images_app.command("list")
def list_images(data_dir: DataDir = None) -> None:
    """The images container applications can use."""
    from orchid.runtime import list_images as run_list

    for line in run_list(_settings(data_dir)):
        typer.echo(line)
