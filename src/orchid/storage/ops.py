"""Move and copy, within a drive or between two drives of the same storage root.

Both ends are reached through their parents' descriptors (see tree.py). A copy recreates symbolic
links as links (it never reads through them) and makes everything it writes belong to the
destination drive's owner.
"""

from __future__ import annotations

import os
import stat

from orchid.errors import BadRequest, Conflict
from orchid.storage.tree import (
    DIR_MODE,
    FILE_MODE,
    ConflictPolicy,
    DriveTree,
    free_name,
    remove_entry,
    translate,
)

_COPY_CHUNK = 8 * 2**20
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def _inside(a: DriveTree, a_parts: tuple[str, ...], b: DriveTree, b_parts: tuple[str, ...]) -> bool:
    return a.root == b.root and b_parts[: len(a_parts)] == a_parts


def _target_name(dst_fd: int, name: str, policy: ConflictPolicy, where: str) -> tuple[str, bool]:
    """The name to write at under `policy`, and whether something there must be replaced."""
    try:
        os.stat(name, dir_fd=dst_fd, follow_symlinks=False)
    except FileNotFoundError:
        return name, False
    except OSError as exc:
        raise translate(exc, where) from exc
    if policy in ("RENAME", "MERGE_RENAME"):
        return free_name(set(os.listdir(dst_fd)), name), False
    if policy == "REPLACE":
        return name, True
    raise Conflict(f"{where} already exists", "ALREADY_EXISTS")


def move(
    src: DriveTree,
    src_parts: tuple[str, ...],
    dst: DriveTree,
    dst_parts: tuple[str, ...],
    policy: ConflictPolicy,
) -> tuple[str, ...]:
    """Move (or rename) a file or folder; returns the path it ended up at."""
    if _inside(src, src_parts, dst, dst_parts):
        if src_parts == dst_parts and policy not in ("RENAME", "MERGE_RENAME"):
            return dst_parts
        raise BadRequest("a folder cannot be moved into itself", "INVALID_MOVE")
    with src.parent(src_parts) as (sfd, sname), dst.parent(dst_parts) as (dfd, dname):
        src.stat(src_parts)  # a clear 404 when the source is missing
        name, replace = _target_name(dfd, dname, policy, dst.where(dst_parts))
        if replace:
            remove_entry(dfd, name, dst.where(dst_parts))
        try:
            os.rename(sname, name, src_dir_fd=sfd, dst_dir_fd=dfd)
        except OSError as exc:
            raise translate(exc, dst.where(dst_parts)) from exc
        if src.owner != dst.owner:
            _chown_tree(dst, dfd, name)
        return (*dst_parts[:-1], name)


def copy(
    src: DriveTree,
    src_parts: tuple[str, ...],
    dst: DriveTree,
    dst_parts: tuple[str, ...],
    policy: ConflictPolicy,
) -> tuple[str, ...]:
    """Copy a file or folder (recursively); returns the path of the copy."""
    if src_parts and _inside(src, src_parts, dst, dst_parts) and src_parts != dst_parts:
        raise BadRequest("a folder cannot be copied into itself", "INVALID_COPY")
    with src.parent(src_parts) as (sfd, sname), dst.parent(dst_parts) as (dfd, dname):
        src.stat(src_parts)
        name, replace = _target_name(dfd, dname, policy, dst.where(dst_parts))
        if replace:
            if src_parts == dst_parts and src.root == dst.root:
                return dst_parts  # replacing a file with itself
            remove_entry(dfd, name, dst.where(dst_parts))
        try:
            _copy_entry(sfd, sname, dfd, name, dst)
        except OSError as exc:
            raise translate(exc, dst.where(dst_parts)) from exc
        return (*dst_parts[:-1], name)


def _copy_entry(sfd: int, sname: str, dfd: int, dname: str, dst: DriveTree) -> None:
    st = os.stat(sname, dir_fd=sfd, follow_symlinks=False)
    if stat.S_ISLNK(st.st_mode):
        os.symlink(os.readlink(sname, dir_fd=sfd), dname, dir_fd=dfd)
    elif stat.S_ISDIR(st.st_mode):
        os.mkdir(dname, DIR_MODE, dir_fd=dfd)
        dst.chown(dfd, dname)
        child_s = os.open(sname, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=sfd)
        try:
            child_d = os.open(dname, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dfd)
            try:
                for name in os.listdir(child_s):
                    _copy_entry(child_s, name, child_d, name, dst)
            finally:
                os.close(child_d)
        finally:
            os.close(child_s)
        return
    elif stat.S_ISREG(st.st_mode):
        _copy_file(sfd, sname, dfd, dname, st.st_size)
    else:
        return  # devices, sockets and FIFOs are not copied
    dst.chown(dfd, dname)


def _copy_file(sfd: int, sname: str, dfd: int, dname: str, size: int) -> None:
    fin = os.open(sname, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=sfd)
    try:
        fout = os.open(dname, _WRITE_FLAGS, FILE_MODE, dir_fd=dfd)
        try:
            left = size
            while left > 0:
                n = os.copy_file_range(fin, fout, min(left, _COPY_CHUNK))
                if n == 0:
                    break
                left -= n
        finally:
            os.close(fout)
    finally:
        os.close(fin)


def _chown_tree(tree: DriveTree, fd: int, name: str) -> None:
    tree.chown(fd, name)
    st = os.stat(name, dir_fd=fd, follow_symlinks=False)
    if stat.S_ISDIR(st.st_mode):
        child = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        try:
            for _, dirs, files, dir_fd in os.fwalk(".", dir_fd=child):
                for entry in (*dirs, *files):
                    tree.chown(dir_fd, entry)
        finally:
            os.close(child)
