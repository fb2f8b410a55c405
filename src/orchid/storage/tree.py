"""One drive's directory tree, reached only through file descriptors.

Every call opens the drive root and walks down one name at a time with `O_NOFOLLOW`, so a symbolic
link anywhere on the way (one planted by a job, or swapped in while the walk runs) stops the walk
instead of leading out of the drive. Final names are then acted on relative to their parent's
descriptor (`dir_fd=`), which the kernel never resolves through a link either. Symbolic links
inside a drive are listed (as `SOFT_LINK`) but never followed, read or written through.

Everything created here belongs to the drive's `Owner` (the user's Unix identity): folders mode
0700, files 0600.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from orchid.errors import BadRequest, Conflict, NotFound, OrchidError, TooLarge
from orchid.storage.listing import NameCache

DIR_MODE = 0o700
FILE_MODE = 0o600
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK

Kind = Literal["FILE", "DIRECTORY", "SOFT_LINK"]
ConflictPolicy = Literal["RENAME", "REJECT", "REPLACE", "MERGE_RENAME"]


@dataclass(frozen=True)
class Owner:
    """The Unix identity files belong to."""

    uid: int
    gid: int

    @classmethod
    def current(cls) -> Owner:
        return cls(os.geteuid(), os.getegid())


@dataclass(frozen=True)
class Entry:
    name: str
    kind: Kind
    size: int
    modified_at: int
    accessed_at: int
    mode: int
    uid: int
    gid: int


def entry_from_stat(name: str, st: os.stat_result) -> Entry:
    if stat.S_ISDIR(st.st_mode):
        kind: Kind = "DIRECTORY"
    elif stat.S_ISLNK(st.st_mode):
        kind = "SOFT_LINK"
    else:
        kind = "FILE"
    return Entry(
        name=name,
        kind=kind,
        size=st.st_size,
        modified_at=st.st_mtime_ns // 1_000_000,
        accessed_at=st.st_atime_ns // 1_000_000,
        mode=st.st_mode & 0o777,
        uid=st.st_uid,
        gid=st.st_gid,
    )


def translate(exc: OSError, where: str) -> OrchidError:
    """The one place where file-system errors become answers for the user."""
    code = exc.errno
    if code == errno.ENOENT:
        return NotFound(f"no such file or folder: {where}", "FILE_NOT_FOUND")
    if code in (errno.ELOOP, errno.EMLINK):
        return BadRequest(
            f"{where} goes through a symbolic link, which Orchid does not follow", "SYMLINK"
        )
    if code == errno.ENOTDIR:
        return BadRequest(f"{where}: a part of the path is not a folder", "NOT_A_FOLDER")
    if code == errno.EISDIR:
        return BadRequest(f"{where} is a folder", "IS_A_FOLDER")
    if code in (errno.EEXIST, errno.ENOTEMPTY):
        return Conflict(f"{where} already exists", "ALREADY_EXISTS")
    if code in (errno.ENOSPC, errno.EDQUOT):
        return TooLarge(f"the disk is full; {where} was not written", "DISK_FULL")
    if code == errno.ENAMETOOLONG:
        return BadRequest(f"the name is too long: {where}", "INVALID_NAME")
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return BadRequest(f"{where} cannot be changed (permission denied)", "PERMISSION_DENIED")
    if code == errno.EINVAL:
        return BadRequest(f"{where}: invalid operation", "INVALID_OPERATION")
    return OrchidError(f"{where}: {exc.strerror}", "STORAGE_ERROR")


def free_name(taken: set[str], name: str) -> str:
    """`name`, or `stem (1).ext`, `stem (2).ext`, ... whichever is not taken."""
    if name not in taken:
        return name
    stem, dot, ext = name.rpartition(".")
    if not stem:  # no extension, or a dot-file such as ".bashrc"
        stem, dot, ext = name, "", ""
    n = 1
    while True:
        candidate = f"{stem} ({n}){dot}{ext}"
        if candidate not in taken:
            return candidate
        n += 1


class DriveTree:
    """The files of one drive, rooted at `root` on the host. Holds no descriptor between calls."""

    def __init__(self, root: Path, owner: Owner, label: str) -> None:
        self.root = root
        self.owner = owner
        self.label = label  # the UCloud path of the root, for messages: "/<drive id>"

    def where(self, parts: tuple[str, ...]) -> str:
        return "/".join((self.label, *parts))

    # ---- creation of the drive itself ----

    def create(self, subfolders: tuple[str, ...] = ()) -> None:
        self.root.mkdir(mode=DIR_MODE, exist_ok=True)
        os.chmod(self.root, DIR_MODE, follow_symlinks=False)
        self._chown_path(self.root)
        for name in subfolders:
            self.make_folder((name,), exist_ok=True)

    def remove(self) -> None:
        """Delete the whole drive from disk (without following any link)."""
        shutil.rmtree(self.root, ignore_errors=False)

    # ---- descriptors ----

    @contextmanager
    def folder(self, parts: tuple[str, ...], *, create: bool = False) -> Iterator[int]:
        """A descriptor of the folder at `parts`; with `create`, missing folders are made."""
        try:
            fd = os.open(self.root, _DIR_FLAGS)
        except OSError as exc:
            raise NotFound(f"drive {self.label} has no files on disk", "DRIVE_NOT_FOUND") from exc
        try:
            for i, name in enumerate(parts):
                try:
                    child = os.open(name, _DIR_FLAGS, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        raise
                    self._mkdir(fd, name, exist_ok=True)
                    child = os.open(name, _DIR_FLAGS, dir_fd=fd)
                except OSError as exc:
                    raise translate(_link_aware(exc, fd, name), self.where(parts[: i + 1])) from exc
                os.close(fd)
                fd = child
            yield fd
        except OSError as exc:
            raise translate(exc, self.where(parts)) from exc
        finally:
            os.close(fd)

    @contextmanager
    def parent(self, parts: tuple[str, ...], *, create: bool = False) -> Iterator[tuple[int, str]]:
        """(descriptor of the parent folder, final name) of a path that is not the root."""
        if not parts:
            raise BadRequest(f"{self.label} is the drive itself", "IS_DRIVE_ROOT")
        with self.folder(parts[:-1], create=create) as fd:
            yield fd, parts[-1]

    # ---- reads ----

    def stat(self, parts: tuple[str, ...]) -> Entry:
        if not parts:
            with self.folder(()) as fd:
                return entry_from_stat("", os.fstat(fd))
        with self.parent(parts) as (fd, name):
            try:
                return entry_from_stat(name, os.stat(name, dir_fd=fd, follow_symlinks=False))
            except OSError as exc:
                raise translate(exc, self.where(parts)) from exc

    def exists(self, parts: tuple[str, ...]) -> bool:
        try:
            self.stat(parts)
        except NotFound:
            return False
        return True

    def sorted_names(self, parts: tuple[str, ...], cache: NameCache) -> list[str]:
        """The names in a folder, sorted, without a stat each (cheap for a folder of many files;
        big folders are remembered by `cache` until they change). Never modify the list."""
        with self.folder(parts) as fd:
            return cache.sorted_names(fd)

    def entries(self, parts: tuple[str, ...], names: list[str]) -> list[Entry]:
        """The entries of a folder with these names, in this order; vanished ones left out."""
        with self.folder(parts) as fd:
            found = []
            for name in names:
                try:
                    st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                except FileNotFoundError:
                    continue
                found.append(entry_from_stat(name, st))
            return found

    def list(self, parts: tuple[str, ...]) -> list[Entry]:
        """Every entry of a folder. Entries that vanish while listing are left out."""
        with self.folder(parts) as fd:
            entries = []
            with os.scandir(fd) as it:
                for item in it:
                    try:
                        st = item.stat(follow_symlinks=False)
                    except FileNotFoundError:
                        continue
                    entries.append(entry_from_stat(item.name, st))
            return entries

    def open_read(self, parts: tuple[str, ...]) -> int:
        """A read descriptor of a regular file (the caller closes it)."""
        with self.parent(parts) as (fd, name):
            try:
                file_fd = os.open(name, _READ_FLAGS, dir_fd=fd)
            except OSError as exc:
                raise translate(exc, self.where(parts)) from exc
        st = os.fstat(file_fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(file_fd)
            if stat.S_ISDIR(st.st_mode):
                raise BadRequest(
                    f"{self.where(parts)} is a folder; download the files in it one by one",
                    "IS_A_FOLDER",
                )
            raise BadRequest(f"{self.where(parts)} is not a regular file", "NOT_A_FILE")
        os.set_blocking(file_fd, True)
        return file_fd

    def usage(self, parts: tuple[str, ...] = ()) -> int:
        """Bytes in regular files at or under `parts` (links are not followed)."""
        if parts:
            entry = self.stat(parts)
            if entry.kind != "DIRECTORY":
                return entry.size if entry.kind == "FILE" else 0
        total = 0
        with self.folder(parts) as fd:
            for _, _, files, dir_fd in os.fwalk(".", dir_fd=fd):
                for name in files:
                    try:
                        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                    except FileNotFoundError:
                        continue
                    if stat.S_ISREG(st.st_mode):
                        total += st.st_size
        return total

    # ---- writes ----

    def make_folder(
        self, parts: tuple[str, ...], policy: ConflictPolicy = "REJECT", *, exist_ok: bool = False
    ) -> tuple[str, ...]:
        """Create a folder (and any missing parents); returns the path actually created."""
        with self.parent(parts, create=True) as (fd, name):
            if policy == "RENAME" and not exist_ok:
                name = free_name(set(os.listdir(fd)), name)
            existing_ok = exist_ok or policy in ("REPLACE", "MERGE_RENAME")
            try:
                self._mkdir(fd, name, exist_ok=existing_ok)
            except OSError as exc:
                raise translate(exc, self.where(parts)) from exc
            return (*parts[:-1], name)

    def delete(self, parts: tuple[str, ...]) -> None:
        with self.parent(parts) as (fd, name):
            remove_entry(fd, name, self.where(parts))

    def _mkdir(self, fd: int, name: str, *, exist_ok: bool) -> None:
        try:
            os.mkdir(name, DIR_MODE, dir_fd=fd)
        except FileExistsError:
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if not exist_ok or not stat.S_ISDIR(st.st_mode):
                raise
            return
        self.chown(fd, name)

    def chown(self, fd: int, name: str) -> None:
        if self.owner != Owner.current():
            os.chown(name, self.owner.uid, self.owner.gid, dir_fd=fd, follow_symlinks=False)

    def chown_fd(self, fd: int) -> None:
        if self.owner != Owner.current():
            os.fchown(fd, self.owner.uid, self.owner.gid)

    def _chown_path(self, path: Path) -> None:
        if self.owner != Owner.current():
            os.chown(path, self.owner.uid, self.owner.gid, follow_symlinks=False)


def _link_aware(exc: OSError, fd: int, name: str) -> OSError:
    """O_NOFOLLOW|O_DIRECTORY on a link fails with ENOTDIR: say ELOOP when it was a link."""
    if exc.errno == errno.ENOTDIR:
        try:
            if stat.S_ISLNK(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode):
                return OSError(errno.ELOOP, os.strerror(errno.ELOOP))
        except OSError:
            pass
    return exc


def remove_entry(fd: int, name: str, where: str) -> None:
    try:
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        if stat.S_ISDIR(st.st_mode):
            # rmtree with dir_fd walks by descriptors and never follows a link (Python >= 3.11).
            shutil.rmtree(name, dir_fd=fd)
        else:
            os.unlink(name, dir_fd=fd)
    except OSError as exc:
        raise translate(exc, where) from exc
