"""Host paths of drive files for jobs: what a job's sandbox binds (decision 12).

This is where a UCloud path becomes a host path that leaves Orchid's own hands (a provider binds
it into a job). The path is walked from the drive root one name at a time with `O_NOFOLLOW`
(tree.py), so `..` (refused earlier, by paths.py), a symbolic link anywhere on the way or at the
end, and a path that leaves the drive are all refused; the host path handed out is then checked
once more with the kernel's own resolution (`realpath`) to lie inside the drive.

What stays possible: a job of the same user that can write the folder may swap a checked folder
for a link between this check and the provider's bind. Jobs see only their own /work and their
mounts, so this needs the user to mount an ancestor of the path read-write into a running job;
the bind then still runs as the user's Unix identity (decision 10), which bounds what it can reach.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Literal

from orchid.errors import BadRequest, Conflict
from orchid.storage.tree import DriveTree, translate

Kind = Literal["FILE", "DIRECTORY"]


def host_path(tree: DriveTree, parts: tuple[str, ...]) -> tuple[Path, Kind]:
    """The host path of an existing regular file or folder of the drive, and which it is.

    Raises NotFound (FILE_NOT_FOUND) when it does not exist, BadRequest SYMLINK when it or any
    folder on the way is a symbolic link, BadRequest NOT_A_FILE for anything but a regular file or
    folder (a FIFO, a socket)."""
    where = tree.where(parts)
    if parts:
        with tree.parent(parts) as (fd, name):
            try:
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except OSError as exc:
                raise translate(exc, where) from exc
    else:
        with tree.folder(()) as fd:
            st = os.fstat(fd)
    if stat.S_ISLNK(st.st_mode):
        raise BadRequest(f"{where} is a symbolic link, which Orchid does not follow", "SYMLINK")
    if stat.S_ISDIR(st.st_mode):
        kind: Kind = "DIRECTORY"
    elif stat.S_ISREG(st.st_mode):
        kind = "FILE"
    else:
        raise BadRequest(f"{where} is neither a regular file nor a folder", "NOT_A_FILE")
    root = Path(os.path.realpath(tree.root))
    path = root.joinpath(*parts)
    # The walk above never went through a link; the kernel must agree, or something changed.
    if os.path.realpath(path) != str(path):
        raise BadRequest(f"{where} goes through a symbolic link", "SYMLINK")
    return path, kind


def job_folder(tree: DriveTree, parts: tuple[str, ...]) -> Path:
    """Create the folder `parts` (and missing parents) if needed; its host path.

    The folders belong to the drive's owner (tree.py). Raises like `host_path`, and Conflict when
    something else than a folder is in the way."""
    try:
        tree.make_folder(parts, exist_ok=True)
    except Conflict:
        host_path(tree, parts)  # a link there: say so
        raise
    path, kind = host_path(tree, parts)
    if kind != "DIRECTORY":  # swapped for a file since make_folder
        raise Conflict(f"{tree.where(parts)} is not a folder", "ALREADY_EXISTS")
    return path
