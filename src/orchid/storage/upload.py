"""Chunked uploads (UCloud's CHUNKED protocol), streamed to disk and resumable.

Bytes go to a partial file in `<storage root>/.partial/`, outside every drive, so a half-written
upload is never visible in a listing or to a job. Only when the last byte of the declared total size
is on disk is the file linked into its folder, under the conflict policy chosen at createUpload. A
session stays usable while the client keeps sending (or asks where to resume); a dropped request
keeps what reached the disk, and the client resends from the acknowledged offset.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from orchid.errors import BadRequest, Conflict, NotFound, TooLarge
from orchid.storage.tree import FILE_MODE, ConflictPolicy, DriveTree, free_name, translate

PARTIAL_DIR = ".partial"
_WRITE_BATCH = 4 * 2**20


@dataclass
class UploadSession:
    token: str
    user: str
    tree: DriveTree
    parts: tuple[str, ...]
    policy: ConflictPolicy
    partial: Path
    # Bytes the user may still add to their drives (quota minus usage at createUpload); None = no quota.
    allowance: int | None
    touched: float = field(default_factory=time.monotonic)
    total_size: int | None = None
    written: int = 0
    busy: bool = False
    done_path: tuple[str, ...] | None = None


class Uploads:
    """Every open upload session of this server, by token."""

    def __init__(self, root: Path, *, idle_seconds: float, per_user: int) -> None:
        self.dir = root / PARTIAL_DIR
        self.idle_seconds = idle_seconds
        self.per_user = per_user
        self._sessions: dict[str, UploadSession] = {}

    def start(self) -> None:
        """Create the partial directory; partial files of a previous run are deleted."""
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        for stale in self.dir.iterdir():
            stale.unlink(missing_ok=True)

    def open(
        self,
        user: str,
        tree: DriveTree,
        parts: tuple[str, ...],
        policy: ConflictPolicy,
        allowance: int | None,
    ) -> UploadSession:
        self.sweep()
        if sum(1 for s in self._sessions.values() if s.user == user) >= self.per_user:
            raise Conflict(
                f"at most {self.per_user} uploads can be open at once; finish or abandon some",
                "TOO_MANY_UPLOADS",
            )
        token = secrets.token_hex(32)
        partial = self.dir / token
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
        try:
            tree.chown_fd(fd)
        finally:
            os.close(fd)
        session = UploadSession(token, user, tree, parts, policy, partial, allowance)
        self._sessions[token] = session
        return session

    def get(self, token: str | None) -> UploadSession:
        session = self._sessions.get(token or "")
        if session is None:
            raise NotFound("unknown or expired upload token", "UPLOAD_NOT_FOUND")
        session.touched = time.monotonic()
        return session

    def reserved(self, user: str) -> int:
        """Bytes promised to the user's open uploads (their declared total sizes)."""
        return sum(s.total_size or 0 for s in self._sessions.values() if s.user == user)

    def sweep(self) -> None:
        """Forget sessions idle for longer than `idle_seconds` (and delete their bytes)."""
        limit = time.monotonic() - self.idle_seconds
        for token, session in list(self._sessions.items()):
            if session.touched < limit and not session.busy:
                self.discard(token)

    def discard(self, token: str) -> None:
        session = self._sessions.pop(token, None)
        if session is not None:
            session.partial.unlink(missing_ok=True)

    def close(self) -> None:
        for token in list(self._sessions):
            self.discard(token)


def check_chunk(session: UploadSession, offset: int, length: int | None, total: int) -> int:
    """Validate one chunk's headers; returns the offset to write at (`-1` = append)."""
    if total < 0:
        raise BadRequest("Chunked-Upload-Total-Size must be >= 0", "INVALID_UPLOAD")
    if session.total_size is None:
        if session.allowance is not None and total > session.allowance:
            raise TooLarge(
                f"the upload of {total} bytes exceeds your storage quota "
                f"({max(session.allowance, 0)} bytes left)",
                "QUOTA_EXCEEDED",
            )
        session.total_size = total
    elif total != session.total_size:
        raise BadRequest(
            f"Chunked-Upload-Total-Size changed from {session.total_size} to {total}",
            "INVALID_UPLOAD",
        )
    start = session.written if offset == -1 else offset
    if start < 0 or start > session.written:
        raise Conflict(
            f"offset {offset} leaves a gap: {session.written} bytes have arrived so far",
            "UPLOAD_OFFSET",
        )
    if length is not None and start + length > total:
        raise BadRequest(
            f"the chunk ends at {start + length}, past the total size {total}", "INVALID_UPLOAD"
        )
    return start


class ChunkWriter:
    """Writes one chunk's body at its offset in batches (never more than a few MiB in memory)."""

    def __init__(self, session: UploadSession, start: int) -> None:
        self.session = session
        self.offset = start
        self._fd = os.open(session.partial, os.O_WRONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        self._pending: list[bytes] = []
        self._pending_size = 0

    def feed(self, data: bytes) -> None:
        total = self.session.total_size or 0
        if self.offset + self._pending_size + len(data) > total:
            raise BadRequest(f"the chunk goes past the total size {total}", "INVALID_UPLOAD")
        self._pending.append(data)
        self._pending_size += len(data)
        if self._pending_size >= _WRITE_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        try:
            written = os.pwritev(self._fd, self._pending, self.offset)
        except OSError as exc:
            raise translate(exc, "the upload") from exc
        if written != self._pending_size:  # pwritev on a regular file only stops short on error
            raise TooLarge("the disk is full; the upload was not written", "DISK_FULL")
        self.offset += written
        self._pending.clear()
        self._pending_size = 0
        self.session.written = max(self.session.written, self.offset)

    def close(self) -> None:
        try:
            self.flush()
        finally:
            os.close(self._fd)


def finish(session: UploadSession) -> tuple[str, ...] | None:
    """Link the complete file into its folder; None while bytes are still missing."""
    if session.total_size is None or session.written < session.total_size:
        return None
    fd = os.open(session.partial, os.O_WRONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    try:
        os.ftruncate(fd, session.total_size)
        os.fdatasync(fd)
    finally:
        os.close(fd)
    tree, parts = session.tree, session.parts
    with tree.parent(parts, create=True) as (dir_fd, name):
        partial_dir = os.open(session.partial.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            target = _place(dir_fd, name, session.policy, partial_dir, session.partial.name)
        except FileExistsError as exc:
            raise Conflict(f"{tree.where(parts)} already exists", "ALREADY_EXISTS") from exc
        except OSError as exc:
            raise translate(exc, tree.where(parts)) from exc
        finally:
            os.close(partial_dir)
    session.partial.unlink(missing_ok=True)
    session.done_path = (*parts[:-1], target)
    return session.done_path


def _place(dir_fd: int, name: str, policy: ConflictPolicy, src_dir: int, src: str) -> str:
    """Put the partial file at `name` in `dir_fd`: link (never replaces) or rename (replaces)."""
    while True:
        try:
            if policy == "REPLACE":
                os.rename(src, name, src_dir_fd=src_dir, dst_dir_fd=dir_fd)
            else:
                os.link(src, name, src_dir_fd=src_dir, dst_dir_fd=dir_fd, follow_symlinks=False)
            return name
        except FileExistsError:
            if policy not in ("RENAME", "MERGE_RENAME"):
                raise
            name = free_name(set(os.listdir(dir_fd)), name)
