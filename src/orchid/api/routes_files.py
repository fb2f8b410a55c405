"""/api/files/collections (drives) and /api/files (files, uploads, downloads)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Request
from starlette.requests import ClientDisconnect

from orchid.api.auth import User
from orchid.api.file_stream import DescriptorResponse
from orchid.api.file_views import drive_view, file_view
from orchid.api.state import runtime_of
from orchid.api.strict import FilesRoute
from orchid.errors import BadRequest, NotSupported, TooLarge
from orchid.schemas.base import BulkRequest, BulkResponse, Empty, FindByStringId, PageV2
from orchid.schemas.files import (
    DEFAULT_ITEMS_PER_PAGE,
    MAX_ITEMS_PER_PAGE,
    CreateFolderItem,
    CreateUploadItem,
    DownloadTarget,
    DriveBrowseQuery,
    DriveCreateItem,
    DriveRenameItem,
    DriveRetrieveQuery,
    FileBrowseQuery,
    FileCollection,
    FileId,
    FileRetrieveQuery,
    LongRunningTask,
    MoveOrCopyItem,
    UFile,
    UploadProgress,
    UploadTarget,
)
from orchid.service.files import FileService

router = APIRouter(prefix="/api/files", tags=["files"], route_class=FilesRoute)
T = TypeVar("T")


def _files(request: Request) -> FileService:
    return runtime_of(request.app).files


def _page_size(requested: int | None) -> int:
    if requested is None or requested <= 0:
        return DEFAULT_ITEMS_PER_PAGE
    return min(requested, MAX_ITEMS_PER_PAGE)


# ---- drives ----


@router.get(
    "/collections/browse", response_model=PageV2[FileCollection], summary="files.collections.browse"
)
async def browse_drives(
    request: Request, user: User, query: Annotated[DriveBrowseQuery, Query()]
) -> PageV2[FileCollection]:
    drives = await _files(request).owned_drives(user)
    size = _page_size(query.items_per_page)
    start = int(query.next) if query.next and query.next.isdigit() else 0
    chunk = drives[start : start + size]
    more = start + size < len(drives)
    return PageV2[FileCollection](
        items_per_page=size,
        items=[drive_view(d) for d in chunk],
        next=str(start + size) if more else None,
    )


@router.get(
    "/collections/retrieve", response_model=FileCollection, summary="files.collections.retrieve"
)
async def retrieve_drive(
    request: Request, user: User, query: Annotated[DriveRetrieveQuery, Query()]
) -> FileCollection:
    files = _files(request)
    await files.home(user)
    return drive_view(files.drive(user, query.id))


@router.post(
    "/collections", response_model=BulkResponse[FindByStringId], summary="files.collections.create"
)
async def create_drives(
    request: Request, user: User, body: BulkRequest[DriveCreateItem]
) -> BulkResponse[FindByStringId]:
    files = _files(request)
    await files.home(user)
    created = [await files.create_drive(user, item.title) for item in body.items]
    return BulkResponse[FindByStringId](responses=[FindByStringId(id=d.id) for d in created])


@router.post("/collections/rename", response_model=Empty, summary="files.collections.rename")
async def rename_drives(request: Request, user: User, body: BulkRequest[DriveRenameItem]) -> Empty:
    for item in body.items:
        _files(request).rename_drive(user, item.id, item.new_title)
    return Empty()


@router.delete(
    "/collections", response_model=BulkResponse[Empty], summary="files.collections.delete"
)
async def delete_drives(
    request: Request, user: User, body: BulkRequest[FindByStringId]
) -> BulkResponse[Empty]:
    files = _files(request)
    for item in body.items:
        files.drive(user, item.id)  # every id is checked before anything is deleted
    for item in body.items:
        await files.delete_drive(user, item.id)
    return BulkResponse[Empty](responses=[Empty() for _ in body.items])


# ---- files: reads ----


@router.get("/browse", response_model=PageV2[UFile], summary="files.browse")
async def browse_files(
    request: Request, user: User, query: Annotated[FileBrowseQuery, Query()]
) -> PageV2[UFile]:
    if not query.path:
        raise BadRequest("bad request - no path specified", "MISSING_PATH")
    at, listing = await _files(request).browse(
        user,
        query.path,
        sort_by=query.sort_by or "PATH",
        descending=query.sort_direction == "descending",
        items_per_page=_page_size(query.items_per_page),
        next_token=query.next,
        hide_hidden=bool(query.filter_hidden_files),
    )
    parts = at.path.parts
    return PageV2[UFile](
        items_per_page=listing.items_per_page,
        items=[file_view(at, (*parts, e.name), e) for e in listing.items],
        next=listing.next,
    )


@router.get("/retrieve", response_model=UFile, summary="files.retrieve")
async def retrieve_file(
    request: Request, user: User, query: Annotated[FileRetrieveQuery, Query()]
) -> UFile:
    at, entry = await _files(request).retrieve(user, query.id)
    return file_view(at, at.path.parts, entry)


# ---- files: changes ----


async def _each(
    items: Sequence[T], action: Callable[[T], Awaitable[object]]
) -> BulkResponse[LongRunningTask]:
    """Apply `action` to every item in order; each answers {"type": "complete"}."""
    for item in items:
        await action(item)
    return BulkResponse[LongRunningTask](responses=[LongRunningTask() for _ in items])


@router.post("/folder", response_model=BulkResponse[LongRunningTask], summary="files.createFolder")
async def create_folder(
    request: Request, user: User, body: BulkRequest[CreateFolderItem]
) -> BulkResponse[LongRunningTask]:
    files = _files(request)
    return await _each(body.items, lambda i: files.create_folder(user, i.id, i.conflict_policy))


@router.post("/move", response_model=BulkResponse[LongRunningTask], summary="files.move")
async def move(
    request: Request, user: User, body: BulkRequest[MoveOrCopyItem]
) -> BulkResponse[LongRunningTask]:
    files = _files(request)
    return await _each(
        body.items, lambda i: files.move(user, i.old_id, i.new_id, i.conflict_policy)
    )


@router.post("/copy", response_model=BulkResponse[LongRunningTask], summary="files.copy")
async def copy(
    request: Request, user: User, body: BulkRequest[MoveOrCopyItem]
) -> BulkResponse[LongRunningTask]:
    files = _files(request)
    return await _each(
        body.items, lambda i: files.copy(user, i.old_id, i.new_id, i.conflict_policy)
    )


@router.post("/trash", response_model=BulkResponse[LongRunningTask], summary="files.trash")
async def trash(
    request: Request, user: User, body: BulkRequest[FileId]
) -> BulkResponse[LongRunningTask]:
    files = _files(request)
    return await _each(body.items, lambda i: files.trash(user, i.id))


@router.post(
    "/emptyTrash", response_model=BulkResponse[LongRunningTask], summary="files.emptyTrash"
)
async def empty_trash(
    request: Request, user: User, body: BulkRequest[FileId]
) -> BulkResponse[LongRunningTask]:
    files = _files(request)
    return await _each(body.items, lambda i: files.empty_trash(user, i.id))


@router.delete("", response_model=BulkResponse[Empty], summary="files.delete")
async def delete(request: Request, user: User, body: BulkRequest[FileId]) -> BulkResponse[Empty]:
    for item in body.items:
        await _files(request).delete(user, item.id)
    return BulkResponse[Empty](responses=[Empty() for _ in body.items])


# ---- uploads ----


@router.post("/upload", response_model=BulkResponse[UploadTarget], summary="files.createUpload")
async def create_upload(
    request: Request, user: User, body: BulkRequest[CreateUploadItem]
) -> BulkResponse[UploadTarget]:
    targets = []
    endpoint = str(request.base_url) + "api/files/upload/chunked"
    for item in body.items:
        if item.type != "FILE":
            raise NotSupported(
                "folder uploads are not supported: upload the files one by one "
                "(`orchid files upload -r` does)",
                "FOLDER_UPLOAD",
            )
        if "CHUNKED" not in item.supported_protocols:
            raise NotSupported("Orchid uploads with the CHUNKED protocol only", "UPLOAD_PROTOCOL")
        session = await _files(request).create_upload(user, item.id, item.conflict_policy)
        targets.append(UploadTarget(endpoint=endpoint, protocol="CHUNKED", token=session.token))
    return BulkResponse[UploadTarget](responses=targets)


def _int_header(request: Request, name: str, default: int | None = None) -> int:
    raw = request.headers.get(name)
    if raw is None:
        if default is None:
            raise BadRequest(f"the {name} header is missing", "INVALID_UPLOAD")
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"the {name} header must be a number", "INVALID_UPLOAD") from None


@router.post(
    "/upload/chunked",
    response_model=UploadProgress,
    summary="One chunk of a CHUNKED upload (authorised by Chunked-Upload-Token, no bearer)",
)
async def upload_chunk(request: Request) -> UploadProgress:
    settings = runtime_of(request.app).settings
    limit = settings.upload_chunk_max_bytes
    length = request.headers.get("content-length")
    declared = int(length) if length is not None and length.isdigit() else None
    if declared is not None and declared > limit:
        raise TooLarge(f"a chunk can be at most {limit} bytes", "CHUNK_TOO_LARGE")
    files = _files(request)
    writer = files.begin_chunk(
        request.headers.get("chunked-upload-token"),
        _int_header(request, "chunked-upload-offset", -1),
        declared,
        _int_header(request, "chunked-upload-total-size"),
    )
    received = 0
    try:
        async for piece in request.stream():
            received += len(piece)
            if received > limit:
                raise TooLarge(f"a chunk can be at most {limit} bytes", "CHUNK_TOO_LARGE")
            writer.feed(piece)
    except (ClientDisconnect, asyncio.CancelledError):
        files.abort_chunk(writer)  # keep what arrived: the client resends from its offset
        raise
    except BaseException:
        files.abort_chunk(writer)
        raise
    session = writer.session
    done = await files.end_chunk(writer)
    return UploadProgress(
        offset=session.written,
        total_size=session.total_size,
        complete=done is not None,
        path=str(done) if done is not None else None,
    )


@router.get(
    "/upload/chunked",
    response_model=UploadProgress,
    summary="Where an open CHUNKED upload continues (Chunked-Upload-Token header)",
)
async def upload_progress(request: Request) -> UploadProgress:
    session = _files(request).uploads.get(request.headers.get("chunked-upload-token"))
    return UploadProgress(offset=session.written, total_size=session.total_size, complete=False)


# ---- downloads ----


@router.post(
    "/download", response_model=BulkResponse[DownloadTarget], summary="files.createDownload"
)
async def create_download(
    request: Request, user: User, body: BulkRequest[FileId]
) -> BulkResponse[DownloadTarget]:
    base = str(request.base_url) + "api/files/download?token="
    targets = []
    for item in body.items:
        token = await _files(request).create_download(user, item.id)
        targets.append(DownloadTarget(endpoint=base + token))
    return BulkResponse[DownloadTarget](responses=targets)


@router.get(
    "/download",
    summary="The bytes of a file (token from createDownload, no bearer; Range requests work)",
    response_model=None,
)
async def download(
    request: Request, token: Annotated[str, Query(max_length=100)]
) -> DescriptorResponse:
    ticket = _files(request).redeem_download(token)
    fd = await asyncio.to_thread(ticket.tree.open_read, ticket.parts)
    return DescriptorResponse(fd, ticket.parts[-1])
