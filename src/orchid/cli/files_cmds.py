"""`orchid files ls|mkdir|upload|download|mv|cp|rm`: drives and files from the shell.

Remote paths are `~/...` (the Home drive) or `/<drive>/...` (a drive id or title); `orchid files
ls /` lists the drives.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from orchid.cli import output
from orchid.cli.common import guarded, open_client
from orchid.cli.errors import CliError
from orchid.cli.remote import RemotePaths, basename, join
from orchid.cli.transfers import download, plan_download, plan_upload, upload
from orchid.client import Client, NotFoundError
from orchid.schemas.files import ConflictPolicy, UFile

files_app = typer.Typer(
    no_args_is_help=True,
    help="Your drives and files: paths are ~/... (your Home drive) or /<drive>/...",
)


class OnConflict(StrEnum):
    REJECT = "reject"
    RENAME = "rename"
    REPLACE = "replace"

    @property
    def policy(self) -> ConflictPolicy:
        policies: dict[str, ConflictPolicy] = {
            "reject": "REJECT",
            "rename": "RENAME",
            "replace": "REPLACE",
        }
        return policies[self.value]


Conflict = Annotated[
    OnConflict,
    typer.Option(
        "--on-conflict",
        case_sensitive=False,
        help="When the target exists: reject (fail), rename (pick a free name), replace.",
    ),
]
Recursive = Annotated[
    bool, typer.Option("--recursive", "-r", help="Folders with everything in them.")
]
RemoteArg = Annotated[str, typer.Argument(metavar="PATH", help="~/... or /<drive>/...")]


def size_text(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def _when(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone().strftime("%Y-%m-%d %H:%M")


def _target_in_folder(client: Client, target: str, name: str, many: bool) -> str:
    """`target/name` when target is a folder (or must be, for several sources), else target."""
    try:
        found = client.files.retrieve(target)
    except NotFoundError:
        if many:
            raise
        return target
    return join(target, name) if found.status.type == "DIRECTORY" else target


@files_app.command("ls")
@guarded
def ls(
    path: Annotated[str, typer.Argument(metavar="PATH", help="A folder; / lists drives.")] = "~",
    sort: Annotated[
        str, typer.Option(help="path, size or modified.", case_sensitive=False)
    ] = "path",
    fmt: output.Output = output.OutputFormat.HUMAN,
) -> None:
    """List a folder (or, for /, your drives)."""
    sort_by = {"path": "PATH", "size": "SIZE", "modified": "MODIFIED_AT"}.get(sort.lower())
    if sort_by is None:
        raise CliError(f"--sort must be path, size or modified, not {sort!r}")
    with open_client() as client:
        paths = RemotePaths(client)
        where = paths.resolve(path)
        if where == "/":
            drives = paths.drives
            if fmt is output.OutputFormat.JSON:
                output.print_json(output.wire(drives))
                return
            table = Table(box=None, pad_edge=False)
            for column in ("ID", "TITLE", "CREATED"):
                table.add_column(column)
            for drive in drives:
                title = drive.specification.title + (" (~)" if drive.status.preferred_drive else "")
                table.add_row(drive.id, title, _when(drive.created_at))
            output.stdout().print(table)
            return
        found = client.files.retrieve(where)
        entries = (
            list(client.files.entries(where, sort_by=sort_by))
            if found.status.type == "DIRECTORY"
            else [found]
        )
    if fmt is output.OutputFormat.JSON:
        output.print_json(output.wire(entries))
        return
    output.stdout().print(entries_table(entries))


def entries_table(entries: list[UFile]) -> Table:
    table = Table(box=None, pad_edge=False)
    table.add_column("NAME")
    table.add_column("SIZE", justify="right")
    table.add_column("MODIFIED")
    for entry in entries:
        name = basename(entry.id)
        if entry.status.type == "DIRECTORY":
            label = Text(name + "/", style="bold blue")
        elif entry.status.type == "SOFT_LINK":
            label = Text(name + "@", style="cyan")
        else:
            label = Text(name)
        table.add_row(label, size_text(entry.status.size_in_bytes), _when(entry.status.modified_at))
    return table


@files_app.command("mkdir")
@guarded
def mkdir(
    paths: Annotated[list[str], typer.Argument(metavar="PATH...", help="Folders to make.")],
) -> None:
    """Make folders (and their missing parents)."""
    with open_client() as client:
        remote = RemotePaths(client)
        for path in paths:
            client.files.mkdir(remote.resolve(path))
            output.info(f"created {path}")


@files_app.command("upload")
@guarded
def upload_cmd(
    sources: Annotated[list[Path], typer.Argument(metavar="LOCAL...", help="Local files.")],
    target: Annotated[str, typer.Argument(metavar="PATH", help="Remote file or folder.")],
    recursive: Recursive = False,
    on_conflict: Conflict = OnConflict.REJECT,
) -> None:
    """Upload files (folders with -r) into a remote folder, or one file to a remote path."""
    with open_client() as client:
        remote = RemotePaths(client)
        where = remote.resolve(target)
        many = len(sources) > 1
        folders, files = [], []
        for source in sources:
            destination = _target_in_folder(client, where, source.resolve().name, many)
            more_folders, more_files = plan_upload(client, source, destination, recursive)
            folders += more_folders
            files += more_files
        done = upload(client, folders, files, on_conflict.policy)
        for local, path in zip(files, done, strict=True):
            output.info(
                f"uploaded {local.local} -> {remote.display(path)} ({size_text(local.size)})"
            )


@files_app.command("download")
@guarded
def download_cmd(
    sources: Annotated[list[str], typer.Argument(metavar="PATH...", help="Remote files.")],
    target: Annotated[Path, typer.Argument(metavar="LOCAL", help="Local folder or file name.")],
    recursive: Recursive = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite local files.")] = False,
) -> None:
    """Download files (folders with -r) into a local folder, or one file to a local name."""
    with open_client() as client:
        remote = RemotePaths(client)
        folders, files = [], []
        for source in sources:
            found = client.files.retrieve(remote.resolve(source))
            local = target / basename(found.id) if target.is_dir() else target
            if len(sources) > 1 and not target.is_dir():
                raise CliError(f"{target} is not a folder (several files go into a folder)")
            more_folders, more_files = plan_download(client, found, local, recursive)
            folders += more_folders
            files += more_files
        download(client, folders, files, force)
    for item in files:
        output.info(
            f"downloaded {remote.display(item.remote)} -> {item.local} ({size_text(item.size)})"
        )


def _move_or_copy(
    source: str, target: str, on_conflict: OnConflict, *, copy: bool, recursive: bool
) -> None:
    with open_client() as client:
        remote = RemotePaths(client)
        src = remote.resolve(source)
        found = client.files.retrieve(src)
        if copy and found.status.type == "DIRECTORY" and not recursive:
            raise CliError(f"{source} is a folder: use -r to copy it with everything in it")
        dst = _target_in_folder(client, remote.resolve(target), basename(src), False)
        if copy:
            client.files.copy(src, dst, conflict_policy=on_conflict.policy)
        else:
            client.files.move(src, dst, conflict_policy=on_conflict.policy)
        verb = "copied" if copy else "moved"
        output.info(f"{verb} {source} -> {remote.display(dst)}")


@files_app.command("mv")
@guarded
def mv(source: RemoteArg, target: RemoteArg, on_conflict: Conflict = OnConflict.REJECT) -> None:
    """Move or rename a file or folder (into TARGET when it is a folder)."""
    _move_or_copy(source, target, on_conflict, copy=False, recursive=True)


@files_app.command("cp")
@guarded
def cp(
    source: RemoteArg,
    target: RemoteArg,
    recursive: Recursive = False,
    on_conflict: Conflict = OnConflict.REJECT,
) -> None:
    """Copy a file (a folder with -r), into TARGET when it is a folder."""
    _move_or_copy(source, target, on_conflict, copy=True, recursive=recursive)


@files_app.command("rm")
@guarded
def rm(
    paths: Annotated[list[str], typer.Argument(metavar="PATH...", help="Files or folders.")],
    recursive: Recursive = False,
    permanent: Annotated[
        bool, typer.Option("--permanent", help="Delete for good instead of moving to Trash.")
    ] = False,
) -> None:
    """Move files (folders with -r) to the drive's Trash, or delete them with --permanent."""
    with open_client() as client:
        remote = RemotePaths(client)
        resolved = []
        for path in paths:
            where = remote.resolve(path)
            if client.files.retrieve(where).status.type == "DIRECTORY" and not recursive:
                raise CliError(f"{path} is a folder: use -r to remove it with everything in it")
            resolved.append(where)
        if permanent:
            client.files.delete(*resolved)
        else:
            client.files.trash(*resolved)
    for path in paths:
        output.info(f"deleted {path}" if permanent else f"moved {path} to Trash")
