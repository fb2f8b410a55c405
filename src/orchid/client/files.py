"""`Client.files`: drives and files of the client's user (blocking)."""

from __future__ import annotations

import os
from collections.abc import Iterator
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
    chunk_headers,
    pieces,
    read_progress,
    size_of,
)
from orchid.schemas.base import PageV2
from orchid.schemas.files import ConflictPolicy, FileCollection, UFile, UploadProgress

T = TypeVar("T")


class Session(Protocol):
    """What of the Client this needs (a protocol, so the client can own a `files` attribute)."""

    url: str
    _http: httpx.Client

    def _send(self, call: Call[T]) -> T: ...

    def _all(self, call: PageCall[T]) -> list[T]: ...


Local = str | os.PathLike[str]


class Files:
    """Drives (`/api/files/collections`) and files (`/api/files`); paths are UCloud paths,
    `/<drive id>/<path inside the drive>`. Raises the same errors as every `Client` method:
    NotFoundError for a path that does not exist or a drive that is not the user's, ConflictError
    when the target exists and the conflict policy is REJECT, BadRequestError for a bad path."""

    def __init__(self, client: Session) -> None:
        self._client = client

    # ---- drives ----

    def browse_drives(
        self, *, items_per_page: int | None = None, next: str | None = None
    ) -> PageV2[FileCollection]:
        """One page of the user's drives (Home first); their Home drive is made on first use."""
        return self._client._send(file_calls.browse_drives(items_per_page, next))

    def drives(self) -> list[FileCollection]:
        """Every drive of the user, Home first."""
        return self._client._all(lambda token: file_calls.browse_drives(PAGE_SIZE, token))

    def drive(self, drive_id: str) -> FileCollection:
        return self._client._send(file_calls.retrieve_drive(drive_id))

    def home(self) -> FileCollection:
        """The user's Home drive."""
        for drive in self.drives():
            if drive.status.preferred_drive:
                return drive
        raise ProtocolError("the server listed no Home drive")

    def create_drive(self, title: str) -> str:
        """Make a further drive; returns its id."""
        return self._client._send(file_calls.create_drive(title))

    def rename_drive(self, drive_id: str, title: str) -> None:
        self._client._send(file_calls.rename_drive(drive_id, title))

    def delete_drive(self, drive_id: str) -> None:
        """Delete a drive and everything in it (not the Home drive: BadRequestError)."""
        self._client._send(file_calls.delete_drive(drive_id))

    # ---- reading ----

    def browse(
        self,
        path: str,
        *,
        sort_by: str | None = None,
        descending: bool = False,
        items_per_page: int | None = None,
        next: str | None = None,
    ) -> PageV2[UFile]:
        """One page of a folder; `sort_by` is PATH (default), SIZE or MODIFIED_AT."""
        return self._client._send(
            file_calls.browse(path, sort_by, descending, items_per_page, next)
        )

    def entries(
        self, path: str, *, sort_by: str | None = None, descending: bool = False
    ) -> Iterator[UFile]:
        """Everything in a folder, fetching pages as the iteration goes."""
        token: str | None = None
        while True:
            page = self.browse(
                path, sort_by=sort_by, descending=descending, items_per_page=1000, next=token
            )
            yield from page.items
            if page.next is None:
                return
            token = page.next

    def retrieve(self, path: str) -> UFile:
        return self._client._send(file_calls.retrieve(path))

    def exists(self, path: str) -> bool:
        try:
            self.retrieve(path)
        except NotFoundError:
            return False
        return True

    # ---- changing ----

    def mkdir(self, path: str, *, conflict_policy: ConflictPolicy = "REJECT") -> None:
        """Make a folder (and its missing parents)."""
        self._client._send(file_calls.create_folder([path], conflict_policy))

    def move(self, old: str, new: str, *, conflict_policy: ConflictPolicy = "REJECT") -> None:
        """Move or rename a file or folder (within or across the user's drives)."""
        self._client._send(file_calls.move([(old, new)], conflict_policy))

    def copy(self, old: str, new: str, *, conflict_policy: ConflictPolicy = "REJECT") -> None:
        """Copy a file or a folder with everything in it."""
        self._client._send(file_calls.copy([(old, new)], conflict_policy))

    def trash(self, *paths: str) -> None:
        """Move to the drive's Trash folder (trashing what is in the Trash deletes it)."""
        self._client._send(file_calls.trash(paths))

    def empty_trash(self, trash_folder: str) -> None:
        self._client._send(file_calls.empty_trash(trash_folder))

    def delete(self, *paths: str) -> None:
        """Delete for good (folders with everything in them)."""
        self._client._send(file_calls.delete(paths))

    # ---- transfers ----

    def upload(
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
            target = self._client._send(file_calls.create_upload(path, conflict_policy))
            counter = Counter(progress)
            offset, failures = 0, 0
            while True:
                length = min(chunk_size, total - offset)
                try:
                    answer = self._chunk(
                        target.endpoint, target.token, stream, offset, total, length, counter
                    )
                except Unreachable:
                    failures += 1
                    if failures > RETRIES:
                        raise
                    answer = self._where(target.endpoint, target.token)
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

    def _chunk(
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
            response = self._client._http.post(
                endpoint,
                content=pieces(stream, offset, length, progress),
                headers=chunk_headers(token, offset, total, length),
            )
        except httpx.TransportError as exc:
            raise Unreachable(self._client.url, str(exc) or type(exc).__name__) from None
        return read_progress(response.status_code, response.content)

    def _where(self, endpoint: str, token: str) -> UploadProgress:
        try:
            response = self._client._http.get(endpoint, headers={"Chunked-Upload-Token": token})
        except httpx.TransportError as exc:
            raise Unreachable(self._client.url, str(exc) or type(exc).__name__) from None
        return read_progress(response.status_code, response.content)

    def download(
        self, path: str, destination: Local | BinaryIO, *, progress: Progress | None = None
    ) -> int:
        """Stream a file to a local path or a binary file; returns the number of bytes. A local
        path is written as `<name>.part` and renamed when complete, so an interrupted download
        never looks finished."""
        target = self._client._send(file_calls.create_download(path))
        if not isinstance(destination, str | os.PathLike):
            return self._stream(target.endpoint, destination, progress)
        final = Path(destination)
        partial = final.with_name(final.name + ".part")
        try:
            with partial.open("wb") as out:
                size = self._stream(target.endpoint, out, progress)
            partial.replace(final)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return size

    def download_folder(
        self, path: str, destination: Local, *, progress: Progress | None = None
    ) -> list[Path]:
        """Download everything in a remote folder into the local folder `destination` (made if
        missing), sub-folders included; returns the local files written. Links are skipped."""
        written: list[Path] = []
        pending = [(path, Path(destination))]
        while pending:
            folder, here = pending.pop()
            here.mkdir(parents=True, exist_ok=True)
            for entry in self.entries(folder):
                target = here / entry.id.rstrip("/").rsplit("/", 1)[-1]
                if entry.status.type == "DIRECTORY":
                    pending.append((entry.id, target))
                elif entry.status.type == "FILE":
                    self.download(entry.id, target, progress=progress)
                    written.append(target)
        return written

    def _stream(self, endpoint: str, out: BinaryIO, progress: Progress | None) -> int:
        size = 0
        try:
            with self._client._http.stream("GET", endpoint) as response:
                if response.status_code >= 400:
                    raise error_from_http(response.status_code, response.read())
                # Undecoded pieces as they arrive (no re-chunking copy) unless the body is encoded.
                encoded = "content-encoding" in response.headers
                for piece in response.iter_bytes(1 << 20) if encoded else response.iter_raw():
                    out.write(piece)
                    size += len(piece)
                    if progress is not None:
                        progress(len(piece))
        except httpx.TransportError as exc:
            raise Unreachable(self._client.url, str(exc) or type(exc).__name__) from None
        return size
