"""Drives and files, with their permission checks.

A user acts on their own drives only; any other drive id answers 404, exactly like one that does
not exist. Paths are parsed and resolved by `orchid.storage` (the only code that touches the disk
for a drive). File-system work runs in worker threads so the event loop keeps serving.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from orchid.errors import BadRequest, Conflict, NotFound, TooLarge
from orchid.service.clock import now_ms
from orchid.storage import ops
from orchid.storage.download import Downloads, DownloadTicket
from orchid.storage.listing import NameCache
from orchid.storage.paths import FilePath, parse_path
from orchid.storage.tree import ConflictPolicy, DriveTree, Owner
from orchid.storage.tree import Entry as Entry  # re-exported: the API serialises it
from orchid.storage.upload import ChunkWriter, Uploads, UploadSession, check_chunk, finish
from orchid.store.drives import DriveRecord as DriveRecord  # re-exported for the API
from orchid.store.drives import DriveStore

log = logging.getLogger(__name__)

HOME_FOLDERS = ("Jobs", "Trash")
MAX_TITLE = 100
SortBy = Literal["PATH", "SIZE", "MODIFIED_AT"]


@dataclass(frozen=True)
class Located:
    """A path the user may act on: its drive, the drive's tree on disk, and the parsed path."""

    drive: DriveRecord
    tree: DriveTree
    path: FilePath


@dataclass(frozen=True)
class Listing:
    items: list[Entry]
    next: str | None
    items_per_page: int


def check_title(title: str) -> str:
    title = title.strip()
    if not title or len(title) > MAX_TITLE or any(ord(c) < 0x20 for c in title):
        raise BadRequest(
            f"invalid title specified: 1 to {MAX_TITLE} characters, no line breaks",
            "INVALID_TITLE",
        )
    return title


class FileService:
    def __init__(
        self,
        drives: DriveStore,
        root: Path,
        *,
        identity: Callable[[str], Owner],
        quota_bytes: int | None,
        uploads: Uploads,
        downloads: Downloads,
    ) -> None:
        self.drives = drives
        self.root = root
        self.identity = identity
        self._making: dict[str, asyncio.Future[None]] = {}
        self.quota_bytes = quota_bytes
        self.uploads = uploads
        self.downloads = downloads
        self.names = NameCache()

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        # Jobs running as their users must be able to pass through to their own drives.
        self.root.chmod(0o711)
        self.uploads.start()

    def close(self) -> None:
        self.uploads.close()

    # ---- drives ----

    def tree(self, drive: DriveRecord) -> DriveTree:
        return DriveTree(self.root / drive.id, self.identity(drive.owner), f"/{drive.id}")

    def _create(self, drive: DriveRecord, folders: tuple[str, ...]) -> None:
        self.tree(drive).create(folders)

    async def home(self, user: str) -> DriveRecord:
        """The user's Home drive, created (with Jobs and Trash) on first use."""
        drive, created = self.drives.home(user), False
        if drive is None:
            drive, created = self.drives.create_home(user, now_ms())
        # Its folders are made once (off the event loop with the tree itself: the owner's account
        # may be created now, a useradd), and every first request waits for them, also those
        # that found the drive's row while they were being made.
        making = self._making.get(user)
        if making is None and (created or not (self.root / drive.id).is_dir()):
            making = asyncio.ensure_future(asyncio.to_thread(self._create, drive, HOME_FOLDERS))
            self._making[user] = making
            making.add_done_callback(lambda _: self._making.pop(user, None))
        if making is not None:
            await asyncio.shield(making)
        if created:
            log.info("drive %s created: Home of %s", drive.id, user)
        return drive

    async def owned_drives(self, user: str) -> list[DriveRecord]:
        await self.home(user)
        return self.drives.owned(user)

    def drive(self, user: str, drive_id: str) -> DriveRecord:
        found = self.drives.get(drive_id)
        if found is None or found.owner != user:
            raise NotFound(f"permission denied or drive not found ({drive_id})", "DRIVE_NOT_FOUND")
        return found

    async def create_drive(self, user: str, title: str) -> DriveRecord:
        drive = self.drives.create(user, check_title(title), now_ms())
        await asyncio.to_thread(self._create, drive, ())
        log.info("drive %s created by %s", drive.id, user)
        return drive

    def rename_drive(self, user: str, drive_id: str, title: str) -> None:
        drive = self.drive(user, drive_id)
        self.drives.rename(drive.id, check_title(title))

    async def delete_drive(self, user: str, drive_id: str) -> None:
        drive = self.drive(user, drive_id)
        if drive.is_home:
            raise BadRequest("the Home drive cannot be deleted", "HOME_DRIVE")
        self.drives.delete(drive.id)
        await asyncio.to_thread(self.tree(drive).remove)
        log.info("drive %s deleted by %s", drive.id, user)

    # ---- paths ----

    def locate(self, user: str, path: str) -> Located:
        parsed = parse_path(path)
        drive = self.drive(user, parsed.drive_id)
        return Located(drive, self.tree(drive), parsed)

    # ---- reads ----

    async def retrieve(self, user: str, path: str) -> tuple[Located, Entry]:
        at = self.locate(user, path)
        return at, await asyncio.to_thread(at.tree.stat, at.path.parts)

    async def browse(
        self,
        user: str,
        path: str,
        *,
        sort_by: SortBy,
        descending: bool,
        items_per_page: int,
        next_token: str | None,
        hide_hidden: bool,
    ) -> tuple[Located, Listing]:
        at = self.locate(user, path)
        start = 0
        if next_token:
            if not next_token.isascii() or not next_token.isdigit():
                raise BadRequest("next is not a token this server issued", "INVALID_NEXT")
            start = int(next_token)
        listing = await asyncio.to_thread(
            _page_of,
            self.names,
            at.tree,
            at.path.parts,
            sort_by,
            descending,
            hide_hidden,
            start,
            items_per_page,
        )
        return at, listing

    # ---- writes ----

    async def create_folder(self, user: str, path: str, policy: ConflictPolicy) -> FilePath:
        at = self.locate(user, path)
        parts = await asyncio.to_thread(at.tree.make_folder, at.path.parts, policy)
        return FilePath(at.drive.id, parts)

    async def move(self, user: str, old: str, new: str, policy: ConflictPolicy) -> FilePath:
        src, dst = self.locate(user, old), self.locate(user, new)
        parts = await asyncio.to_thread(
            ops.move, src.tree, src.path.parts, dst.tree, dst.path.parts, policy
        )
        return FilePath(dst.drive.id, parts)

    async def copy(self, user: str, old: str, new: str, policy: ConflictPolicy) -> FilePath:
        src, dst = self.locate(user, old), self.locate(user, new)
        allowance = await self.allowance(user)
        if allowance is not None:
            size = await asyncio.to_thread(src.tree.usage, src.path.parts)
            if size > allowance:
                raise TooLarge(
                    f"copying {size} bytes exceeds your storage quota ({allowance} bytes left)",
                    "QUOTA_EXCEEDED",
                )
        parts = await asyncio.to_thread(
            ops.copy, src.tree, src.path.parts, dst.tree, dst.path.parts, policy
        )
        return FilePath(dst.drive.id, parts)

    async def trash(self, user: str, path: str) -> FilePath:
        """Move to the drive's Trash folder (made if missing), renaming on a clash."""
        at = self.locate(user, path)
        if at.path.parts[:1] == ("Trash",) and len(at.path.parts) <= 2:
            await self.delete(user, path)  # trashing what is in the trash deletes it
            return at.path
        await asyncio.to_thread(at.tree.make_folder, ("Trash",), exist_ok=True)
        target = ("Trash", at.path.name or "drive")
        parts = await asyncio.to_thread(ops.move, at.tree, at.path.parts, at.tree, target, "RENAME")
        return FilePath(at.drive.id, parts)

    async def empty_trash(self, user: str, path: str) -> None:
        at = self.locate(user, path)
        for entry in await asyncio.to_thread(at.tree.list, at.path.parts):
            await asyncio.to_thread(at.tree.delete, (*at.path.parts, entry.name))

    async def delete(self, user: str, path: str) -> None:
        at = self.locate(user, path)
        await asyncio.to_thread(at.tree.delete, at.path.parts)

    # ---- quota ----

    async def allowance(self, user: str) -> int | None:
        """Bytes the user may still add (quota minus what their drives and open uploads hold)."""
        if self.quota_bytes is None:
            return None
        used = 0
        for drive in self.drives.owned(user):
            used += await asyncio.to_thread(self.tree(drive).usage)
        used += self.uploads.reserved(user)
        return self.quota_bytes - used

    # ---- transfers ----

    async def create_upload(self, user: str, path: str, policy: ConflictPolicy) -> UploadSession:
        at = self.locate(user, path)
        if at.path.is_root:
            raise BadRequest("give the path of the file to upload, not the drive", "INVALID_PATH")
        if policy == "REJECT" and await asyncio.to_thread(at.tree.exists, at.path.parts):
            raise Conflict(f"{at.path} already exists", "ALREADY_EXISTS")
        allowance = await self.allowance(user)
        if allowance is not None and allowance <= 0:
            raise TooLarge("your storage quota is used up", "QUOTA_EXCEEDED")
        return self.uploads.open(user, at.tree, at.path.parts, policy, allowance)

    def begin_chunk(
        self, token: str | None, offset: int, length: int | None, total: int
    ) -> ChunkWriter:
        session = self.uploads.get(token)
        if session.busy:
            raise Conflict("another chunk of this upload is being written", "UPLOAD_BUSY")
        start = check_chunk(session, offset, length, total)
        session.busy = True
        try:
            return ChunkWriter(session, start)
        except BaseException:
            session.busy = False
            raise

    async def end_chunk(self, writer: ChunkWriter) -> FilePath | None:
        """Close the chunk; once every byte is there, publish the file. Returns its path then."""
        session = writer.session
        try:
            writer.close()
            done = await asyncio.to_thread(finish, session)
        finally:
            session.busy = False
        if done is None:
            return None
        self.uploads.discard(session.token)
        path = FilePath(session.tree.label.lstrip("/"), done)
        log.info("upload of %s finished by %s", path, session.user)
        return path

    def abort_chunk(self, writer: ChunkWriter) -> None:
        try:
            writer.close()
        finally:
            writer.session.busy = False

    async def create_download(self, user: str, path: str) -> str:
        at = self.locate(user, path)
        fd = await asyncio.to_thread(at.tree.open_read, at.path.parts)  # refuse folders now
        os.close(fd)
        return self.downloads.issue(at.tree, at.path.parts)

    def redeem_download(self, token: str | None) -> DownloadTicket:
        return self.downloads.redeem(token)


def _page_of(
    cache: NameCache,
    tree: DriveTree,
    parts: tuple[str, ...],
    sort_by: SortBy,
    descending: bool,
    hide_hidden: bool,
    start: int,
    size: int,
) -> Listing:
    """One page of a folder. By name, only the names are sorted and only the page's entries are
    stat'ed (a folder of 10,000 files costs one listdir and `size` stats); by size or time every
    entry is. An entry that vanishes between the two steps is left out of its page."""
    end = start + size
    if sort_by == "PATH":
        names = tree.sorted_names(parts, cache)
        if hide_hidden:
            names = [n for n in names if not n.startswith(".")]
        if descending:
            names = names[::-1]
        page = tree.entries(parts, names[start:end])
        return Listing(page, str(end) if end < len(names) else None, size)
    entries = tree.list(parts)
    if hide_hidden:
        entries = [e for e in entries if not e.name.startswith(".")]
    if sort_by == "SIZE":
        # A folder shows no size (UFile sizeInBytes is null): folders come before files.
        entries.sort(
            key=lambda e: (e.kind != "DIRECTORY", e.size if e.kind != "DIRECTORY" else 0, e.name),
            reverse=descending,
        )
    else:
        entries.sort(key=lambda e: (e.modified_at, e.name), reverse=descending)
    return Listing(entries[start:end], str(end) if end < len(entries) else None, size)
