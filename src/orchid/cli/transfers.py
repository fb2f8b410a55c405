"""Uploads and downloads of files and folder trees, with one progress bar per command.

The bar (bytes, speed, time left) is drawn on stderr when it is a terminal; otherwise each finished
file is reported on one line, so logs and tests read the same facts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from orchid.cli import output
from orchid.cli.errors import CliError
from orchid.cli.remote import basename, join
from orchid.client import Client, NotFoundError
from orchid.schemas.files import ConflictPolicy, UFile


@dataclass(frozen=True)
class Transfer:
    """One file to move: local path, remote path, size."""

    local: Path
    remote: str
    size: int


class Bar:
    def __init__(self, progress: Progress | None, task: TaskID | None) -> None:
        self.progress = progress
        self.task = task

    def advance(self, count: int) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task, count)

    def describe(self, text: str) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, description=text)


@contextmanager
def bar(verb: str, total: int) -> Iterator[Bar]:
    console = output.stderr()
    if not console.is_terminal:
        yield Bar(None, None)
        return
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
    )
    with progress:
        yield Bar(progress, progress.add_task(verb, total=total))


# ---- uploads ----


def plan_upload(
    client: Client, local: Path, remote: str, recursive: bool
) -> tuple[list[str], list[Transfer]]:
    """Folders to make and files to send to put `local` at `remote`."""
    if local.is_dir():
        if not recursive:
            raise CliError(f"{local} is a folder: use -r to upload it with everything in it")
        folders, files = [remote], []
        for top, dirs, names in os.walk(local):
            dirs.sort()
            relative = Path(top).relative_to(local)
            base = remote if relative == Path(".") else join(remote, relative.as_posix())
            folders.extend(join(base, d) for d in dirs)
            for name in sorted(names):
                path = Path(top) / name
                files.append(Transfer(path, join(base, name), path.stat().st_size))
        return folders, files
    if not local.is_file():
        raise CliError(f"no such local file or folder: {local}")
    return [], [Transfer(local, remote, local.stat().st_size)]


def upload(
    client: Client, folders: list[str], files: list[Transfer], policy: ConflictPolicy
) -> list[str]:
    """Make the folders (existing ones are reused), send the files; the paths they got."""
    for folder in folders:
        try:
            found = client.files.retrieve(folder)
        except NotFoundError:
            client.files.mkdir(folder)
            continue
        if found.status.type != "DIRECTORY":
            raise CliError(f"{folder} exists and is not a folder")
    done = []
    with bar("upload", sum(f.size for f in files)) as progress:
        for item in files:
            progress.describe(item.local.name)
            path = client.files.upload(
                item.local, item.remote, conflict_policy=policy, progress=progress.advance
            )
            done.append(path)
    return done


# ---- downloads ----


def plan_download(
    client: Client, remote: UFile, local: Path, recursive: bool
) -> tuple[list[Path], list[Transfer]]:
    if remote.status.type != "DIRECTORY":
        return [], [Transfer(local, remote.id, remote.status.size_in_bytes or 0)]
    if not recursive:
        raise CliError(f"{remote.id} is a folder: use -r to download it with everything in it")
    folders, files = [local], []
    pending = [(remote.id, local)]
    while pending:
        folder, here = pending.pop()
        for entry in client.files.entries(folder):
            target = here / basename(entry.id)
            if entry.status.type == "DIRECTORY":
                folders.append(target)
                pending.append((entry.id, target))
            elif entry.status.type == "FILE":
                files.append(Transfer(target, entry.id, entry.status.size_in_bytes or 0))
    return folders, files


def download(client: Client, folders: list[Path], files: list[Transfer], force: bool) -> None:
    for item in files:
        if item.local.exists() and not force:
            raise CliError(f"{item.local} exists: use --force to overwrite it")
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    with bar("download", sum(f.size for f in files)) as progress:
        for item in files:
            progress.describe(item.local.name)
            client.files.download(item.remote, item.local, progress=progress.advance)
