"""`orchid jobs output ID [--download DIR]`: what a job left in its output folder (its /work)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orchid.cli import output
from orchid.cli.common import guarded, open_client
from orchid.cli.files_cmds import entries_table, size_text
from orchid.cli.remote import RemotePaths
from orchid.cli.transfers import download, plan_download


@guarded
def job_output(
    job_id: Annotated[str, typer.Argument(metavar="ID", help="A job id.")],
    download_to: Annotated[
        Path | None,
        typer.Option(
            "--download",
            metavar="DIR",
            help="Download the whole folder (sub-folders included) into DIR.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite local files.")] = False,
    fmt: output.Output = output.OutputFormat.HUMAN,
) -> None:
    """List the job's output folder (its /work, kept in your Home drive), or download it."""
    with open_client() as client:
        folder = client.output_folder(job_id)
        remote = RemotePaths(client)
        if download_to is None:
            entries = list(client.files.entries(folder))
            if fmt is output.OutputFormat.JSON:
                output.print_json(output.wire(entries))
                return
            output.info(f"Output folder of job {job_id}: {remote.display(folder)}")
            output.stdout().print(entries_table(entries))
            return
        found = client.files.retrieve(folder)
        folders, files = plan_download(client, found, download_to, recursive=True)
        download(client, folders, files, force)
        shown = [remote.display(item.remote) for item in files]
    for name, item in zip(shown, files, strict=True):
        output.info(f"downloaded {name} -> {item.local} ({size_text(item.size)})")
