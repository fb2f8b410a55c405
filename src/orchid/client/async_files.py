"""`AsyncClient.files`: the asyncio twin of `Client.files`, same calls and guarantees."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import ExitStack
from pathlib import Path
from typing import BinaryIO, Protocol, TypeVar

import httpx

from orchid.client import file_calls
from orchid.client.calls import Call, PageCall
from orchid.client.errors import NotFoundError, ProtocolError, Unreachable, error_from_http
from orchid.client.options import PAGE_SIZE
from orchid.client.transfer import (
    DEFAULT_CHUNK,
    RETRIES,
    Counter,
    Progress,
    apieces,
    chunk_headers,
    read_progress,
    size_of,
)
from orchid.schemas.base import PageV2
from orchid.schemas.files import ConflictPolicy, FileCollection, UFile, UploadProgress

T = TypeVar("T")


class Session(Protocol):
    """What of the AsyncClient this needs (a protocol, so the client can own a `files` attribute)."""

    url: str
    _http: httpx.AsyncClient

    async def _send(self, call: Call[T]) -> T: ...

    async def _all(self, call: PageCall[T]) -> list[T]: ...


Local = str | os.PathLike[str]


class AsyncFiles:
    """The coroutine version of every `Files` method (see there for what each guarantees)."""

    def __init__(self, client: Session) -> None:
        self._client = client

    # ---- drives ----

    async def browse_drives(
        self, *, items_per_page: int | None = None, next: str | None = None
    ) -> PageV2[FileCollection]:
        """One page of the user's drives (Home first); their Home drive is made on first use."""
        return await self._client._send(file_calls.browse_drives(items_per_page, next))

    async def drives(self) -> list[FileCollection]:
        """Every drive of the user, Home first."""
        return await self._client._all(lambda token: file_calls.browse_drives(PAGE_SIZE, token))

    async def drive(self, drive_id: str) -> FileCollection:
        return await self._client._send(file_calls.retrieve_drive(drive_id))

    async def home(self) -> FileCollection:
        """The user's Home drive."""
        for drive in await self.drives():
            if drive.status.preferred_drive:
                return drive
        raise ProtocolError("the server listed no Home drive")

    async def create_drive(self, title: str) -> str:
        """Make a further drive; returns its id."""
        return await self._client._send(file_calls.create_drive(title))

    async def rename_drive(self, drive_id: str, title: str) -> None:
        await self._client._send(file_calls.rename_drive(drive_id, title))

    async def delete_drive(self, drive_id: str) -> None:
        """Delete a drive and everything in it (not the Home drive: BadRequestError)."""
        await self._client._send(file_calls.delete_drive(drive_id))

    # ---- reading ----

    async def browse(
        self,
        path: str,
        *,
        sort_by: str | None = None,
        descending: bool = False,
        items_per_page: int | None = None,
        next: str | None = None,
    ) -> PageV2[UFile]:
        """One page of a folder; `sort_by` is PATH (default), SIZE or MODIFIED_AT."""
        return await self._client._send(
            file_calls.browse(path, sort_by, descending, items_per_page, next)
        )

    async def entries(
        self, path: str, *, sort_by: str | None = None, descending: bool = False
    ) -> AsyncIterator[UFile]:
        """Everything in a folder, fetching pages as the iteration goes."""
        token: str | None = None
        while True:
            page = await self.browse(
                path, sort_by=sort_by, descending=descending, items_per_page=1000, next=token
            )
            for item in page.items:
                yield item
            if page.next is None:
                return
            token = page.next

    async def retrieve(self, path: str) -> UFile:
        return await self._client._send(file_calls.retrieve(path))

    async def exists(self, path: str) -> bool:
        try:
            await self.retrieve(path)
        except NotFoundError:
            return False
        return True

    # ---- changing ----

    async def mkdir(self, path: str, *, conflict_policy: ConflictPolicy = "REJECT") -> None:
        """Make a folder (and its missing parents)."""
        await self._client._send(file_calls.create_folder([path], conflict_policy))

    async def move(self, old: str, new: str, *, conflict_policy: ConflictPolicy = "REJECT") -> None:
        """Move or rename a file or folder (within or across the user's drives)."""
        await self._client._send(file_calls.move([(old, new)], conflict_policy))

    async def copy(self, old: str, new: str, *, conflict_policy: ConflictPolicy = "REJECT") -> None:
        """Copy a file or a folder with everything in it."""
        await self._client._send(file_calls.copy([(old, new)], conflict_policy))

    async def trash(self, *paths: str) -> None:
        """Move to the drive's Trash folder (trashing what is in the Trash deletes it)."""
        await self._client._send(file_calls.trash(paths))

    async def empty_trash(self, trash_folder: str) -> None:
        await self._client._send(file_calls.empty_trash(trash_folder))

    async def delete(self, *paths: str) -> None:
        """Delete for good (folders with everything in them)."""
        await self._client._send(file_calls.delete(paths))

    # ---- transfers ----

    async def upload(
        self,
        source: Local | BinaryIO,
        path: str,
        *,
        conflict_policy: ConflictPolicy = "REJECT",
        chunk_size: int = DEFAULT_CHUNK,
        progress: Progress | None = None,
    ) -> str:
        """Upload a local file (a path or a seekable binary file) to `path` (the full target
        path, file name included), in chunks streamed from the file. The file appears only once
        complete. Returns its path (which differs from `path` under RENAME when the name was
        taken). A dropped connection during a chunk is resumed from what the server has."""
        with ExitStack() as stack:
            if isinstance(source, str | os.PathLike):
                stream: BinaryIO = stack.enter_context(Path(source).open("rb"))
            else:
                stream = source
            total = size_of(stream)
            target = await self._client._send(file_calls.create_upload(path, conflict_policy))
            counter = Counter(progress)
            offset, failures = 0, 0
            while True:
                length = min(chunk_size, total - offset)
                try:
                    answer = await self._chunk(
                        target.endpoint, target.token, stream, offset, total, length, counter
                    )
                except Unreachable:
                    failures += 1
                    if failures > RETRIES:
                        raise
                    answer = await self._where(target.endpoint, target.token)
                    counter.reset(answer.offset)
                    offset = answer.offset
                    continue
                failures = 0
                if answer.complete:
                    return answer.path or path
                if answer.offset <= offset:
                    raise ProtocolError("the upload endpoint accepted a chunk but did not advance")
                offset = answer.offset
        raise AssertionError("unreachable")

    async def _chunk(
        self,
        endpoint: str,
        token: str,
        stream: BinaryIO,
        offset: int,
        total: int,
        length: int,
        progress: Counter,
    ) -> UploadProgress:
        try:
            response = await self._client._http.post(
                endpoint,
                content=apieces(stream, offset, length, progress),
                headers=chunk_headers(token, offset, total, length),
            )
        except httpx.TransportError as exc:
            raise Unreachable(self._client.url, str(exc) or type(exc).__name__) from None
        return read_progress(response.status_code, response.content)

    async def _where(self, endpoint: str, token: str) -> UploadProgress:
        try:
            response = await self._client._http.get(
                endpoint, headers={"Chunked-Upload-Token": token}
            )
        except httpx.TransportError as exc:
            raise Unreachable(self._client.url, str(exc) or type(exc).__name__) from None
        return read_progress(response.status_code, response.content)

    async def download(
        self, path: str, destination: Local | BinaryIO, *, progress: Progress | None = None
    ) -> int:
        """Stream a file to a local path or a binary file; returns the number of bytes. A local
        path is written as `<name>.part` and renamed when complete, so an interrupted download
        never looks finished."""
        target = await self._client._send(file_calls.create_download(path))
        if not isinstance(destination, str | os.PathLike):
            return await self._stream(target.endpoint, destination, progress)
        final = Path(destination)
        partial = final.with_name(final.name + ".part")
        try:
            with partial.open("wb") as out:
                size = await self._stream(target.endpoint, out, progress)
            partial.replace(final)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return size

    async def download_folder(
        self, path: str, destination: Local, *, progress: Progress | None = None
    ) -> list[Path]:
        """Download everything in a remote folder into the local folder `destination` (made if
        missing), sub-folders included; returns the local files written. Links are skipped."""
        written: list[Path] = []
        pending = [(path, Path(destination))]
        while pending:
            folder, here = pending.pop()
            here.mkdir(parents=True, exist_ok=True)
            async for entry in self.entries(folder):
                target = here / entry.id.rstrip("/").rsplit("/", 1)[-1]
                if entry.status.type == "DIRECTORY":
                    pending.append((entry.id, target))
                elif entry.status.type == "FILE":
                    await self.download(entry.id, target, progress=progress)
                    written.append(target)
        return written

    async def _stream(self, endpoint: str, out: BinaryIO, progress: Progress | None) -> int:
        size = 0
        try:
            async with self._client._http.stream("GET", endpoint) as response:
                if response.status_code >= 400:
                    raise error_from_http(response.status_code, await response.aread())
                # Undecoded pieces as they arrive (no re-chunking copy) unless the body is encoded.
                encoded = "content-encoding" in response.headers
                pieces = response.aiter_bytes(1 << 20) if encoded else response.aiter_raw()
                async for piece in pieces:
                    out.write(piece)
                    size += len(piece)
                    if progress is not None:
                        progress(len(piece))
        except httpx.TransportError as exc:
            raise Unreachable(self._client.url, str(exc) or type(exc).__name__) from None
        return size
